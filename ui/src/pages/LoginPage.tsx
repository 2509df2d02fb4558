import { useState } from 'react';

/** Turns what the user pasted (a login link, a code or the API token) into this origin's /login URL. */
export function loginUrlFor(input: string, origin: string): string | null {
  const text = input.trim();
  if (text === '') return null;
  try {
    const url = new URL(text);
    const code = url.searchParams.get('code');
    const token = url.searchParams.get('token');
    if (url.pathname === '/login' && (code || token))
      return `${origin}/login?${new URLSearchParams(code ? { code } : { token: token! })}`;
    return null;
  } catch {
    /* not a URL: a code or the token itself */
  }
  if (/^[0-9a-f]{32,128}$/i.test(text)) return `${origin}/login?${new URLSearchParams({ token: text })}`;
  if (/^[A-Za-z0-9_-]{8,256}$/.test(text)) return `${origin}/login?${new URLSearchParams({ code: text })}`;
  return null;
}

export function LoginPage({
  tokenFile,
  origin = window.location.origin,
}: {
  /** this daemon's token file (`GET /api/session`); null when the daemon did not say */
  tokenFile: string | null;
  /** where the daemon serves this page (its login links start with it) */
  origin?: string;
}) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = () => {
    const url = loginUrlFor(text, origin);
    if (!url) {
      setProblem('That is not a login link, login code or API token.');
      return;
    }
    window.location.assign(url);
  };
  return (
    <main className="splash login" id="main">
      <h1>Log in to keyrx</h1>
      <p>
        This page controls a keyboard remapper, so it needs a login. The daemon prints a one-time login link
        when it starts:
      </p>
      <pre className="card" data-testid="login-link-example">
        web UI (one-time login link, 10 min): {origin}/login?code=…
      </pre>
      <p>
        Open that link, or get a new one with <code>keyrx login-url</code>. A link works once and for 10
        minutes. The session it starts lasts as long as the <code>sessionHours</code> setting says (12 hours
        unless changed), and ends sooner when you log out or the daemon restarts.
      </p>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label className="field">
          <span className="label">Login link, code or API token</span>
          <input
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setProblem(null);
            }}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={problem !== null}
            aria-describedby="login-hint"
          />
          <span className="hint" id="login-hint" data-testid="login-token-hint">
            {tokenFile ? (
              <>
                This daemon&apos;s API token is in <code>{tokenFile}</code>.
              </>
            ) : (
              <>
                The API token is in the <code>token</code> file of keyrx&apos;s config directory.
              </>
            )}
          </span>
          {problem && (
            <span className="problem" role="alert">
              {problem}
            </span>
          )}
        </label>
        <button type="submit" className="primary">
          Log in
        </button>
      </form>
    </main>
  );
}
