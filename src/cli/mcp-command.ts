/**
 * `keyrx mcp`: the MCP tools (src/mcp/tools.ts) on stdin/stdout, for an AI agent that starts
 * keyrx as its tool server (Claude Desktop, editors, …). Every tool calls the REST API through
 * the CLI's client — `connect()`, as every client command — so it reaches the running daemon
 * (--url, KEYRX_URL, KEYRX_PORT) with the token of its config directory, and proves the daemon
 * knows that token before sending it.
 *
 * stdout is the protocol: nothing else is ever written there. The one line of log goes to stderr.
 * The server runs until stdin ends (the agent closed it) and then exits with 0. The SDK and the
 * tools are loaded only when this command runs.
 */
import type { Command } from 'commander';
import type { ConnectionOptions } from './client.ts';
import { connect } from './client.ts';
import type { Output } from './profile-commands.ts';

/** The largest JSON-RPC message read from stdin (a profile source is at most 1 MiB; JSON escapes add to it). */
export const MAX_STDIN_MESSAGE = 8 * 1024 * 1024;

export async function runMcp(opts: ConnectionOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  const [{ createMcpServer }, { StdioServerTransport }] = await Promise.all([
    import('../mcp/tools.ts'),
    import('@modelcontextprotocol/sdk/server/stdio.js'),
  ]);
  const server = createMcpServer(api);
  const transport = new StdioServerTransport(process.stdin, process.stdout, {
    maxBufferSize: MAX_STDIN_MESSAGE,
  });
  // set before connect(), which keeps it and calls it after its own clean-up
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  process.stdin.once('end', () => void transport.close());
  await server.connect(transport);
  io.err(`keyrx mcp: serving MCP on stdio; tools call the daemon at ${api.conn.baseUrl}`);
  await closed;
}

export function registerMcpCommand(program: Command, io: Output): void {
  program
    .command('mcp')
    .description(
      'serve MCP tools for AI agents on stdin/stdout: read, simulate and edit profiles (docs/mcp.md)',
    )
    .option('--config-dir <dir>', "the daemon's config directory, for its token (env KEYRX_CONFIG_DIR)")
    .option('--url <url>', 'daemon URL (env KEYRX_URL; default http://127.0.0.1:$KEYRX_PORT or 9867)')
    .action((opts: ConnectionOptions) => runMcp(opts, io));
}
