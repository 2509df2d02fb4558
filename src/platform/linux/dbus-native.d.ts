/**
 * The parts of @homebridge/dbus-native (pure JS, CommonJS) that src/platform/linux/tray.ts and its
 * test use. The package's own index.d.ts types everything as `any` and lacks createClient, so
 * tray.ts loads the module with require and gives it this type.
 *
 * How the library represents D-Bus values: a struct, a dict entry and a message body are arrays; a
 * dict `a{sv}` is an array of [key, value] pairs; a variant is written as [signature, value] and read
 * as [parsedSignature, [value]]; `ay` is read as a Buffer.
 */
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

export interface DBusMessage {
  /** 1 method call, 2 method return, 3 error, 4 signal */
  type: number;
  serial: number;
  flags?: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature?: string;
  body?: unknown[];
}

/** What a method call's callback gets when the reply is an error. */
export interface DBusReplyError {
  name: string;
  message: string;
  body: unknown[];
}

/** [in signature, out signature, in names?, out names?] */
export type MethodSpec = [string, string, string[]?, string[]?];

export interface InterfaceDescription {
  name: string;
  methods: Record<string, MethodSpec>;
  /** name → signature */
  properties: Record<string, string>;
  /** name → [signature, argument names…] */
  signals: Record<string, string[]>;
}

/**
 * The connection: 'connect' after the handshake, 'message' for each message read, 'error' and
 * 'end' from the stream.
 */
export interface BusConnection extends EventEmitter {
  stream: Duplex;
  state?: 'connected';
  end(): BusConnection;
}

export interface MessageBus {
  /** the unique name, once Hello has been answered */
  name?: string | null;
  connection: BusConnection;
  /** incoming signals, keyed by mangle(path, interface, member) */
  signals: EventEmitter;
  invoke(
    message: Omit<DBusMessage, 'type' | 'serial'> & { type?: number },
    callback?: (error: DBusReplyError | null, ...body: unknown[]) => void,
  ): void;
  /**
   * Serves `description` at `path` with `object`'s methods (a method's result is returned in its out
   * signature; a thrown or returned Error becomes an error reply) and properties (read through
   * org.freedesktop.DBus.Properties). `object.emit(signal, …args)` sends a declared signal.
   */
  exportInterface(object: object, path: string, description: InterfaceDescription): void;
  sendReply(to: DBusMessage, signature: string, body: unknown[]): void;
  sendError(to: DBusMessage, errorName: string, text: string): void;
  sendSignal(path: string, iface: string, member: string, signature: string, body: unknown[]): void;
  mangle(path: string, iface: string, member: string): string;
  addMatch(rule: string, callback?: (error: DBusReplyError | null) => void): void;
  requestName(
    name: string,
    flags: number,
    callback?: (error: DBusReplyError | null, result?: number) => void,
  ): void;
  releaseName(name: string, callback?: (error: DBusReplyError | null, result?: number) => void): void;
}

export interface DBusNative {
  createClient(options: { stream: Duplex; direct?: boolean; authMethods?: string[] }): MessageBus;
}
