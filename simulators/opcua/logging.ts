/**
 * node-opcua logs through one process-wide logger (node-opcua-debug) straight to console.log. This
 * routes its warnings and errors into a namespaced sink, drops the noise that does not apply to us, and
 * lets tests silence warnings. Process-wide: it affects node-opcua clients in the same process too.
 */
import { format } from 'node:util';
import { LogLevel, setErrorLogger, setLogLevel, setWarningLogger } from 'node-opcua';

export type NodeOpcuaLogLevel = 'silent' | 'error' | 'warning';

export interface NodeOpcuaLogging {
  /** Default 'warning'. */
  level?: NodeOpcuaLogLevel;
  /** Receives each message, already formatted. Default: console.warn / console.error. */
  sink?: (level: 'warning' | 'error', message: string) => void;
}

/**
 * W27 says RSA PKCS#1 v1.5 needs a Node security revert: it concerns only the Basic128Rsa15 and
 * Basic256 policies, which the simulator never offers. It comes as two messages.
 */
const IRRELEVANT = [/NODE-OPCUA-W27/, /security-revert=CVE-2023-46809/];

const LEVELS: Record<NodeOpcuaLogLevel, LogLevel> = {
  silent: LogLevel.Emergency,
  error: LogLevel.Error,
  warning: LogLevel.Warning,
};

const defaultSink = (level: 'warning' | 'error', message: string): void => {
  if (level === 'error') console.error(message);
  else console.warn(message);
};

export function configureNodeOpcuaLogging({
  level = 'warning',
  sink = defaultSink,
}: NodeOpcuaLogging = {}): void {
  setLogLevel(LEVELS[level]);
  const route =
    (kind: 'warning' | 'error') =>
    (_context: unknown, ...args: unknown[]) => {
      const message = format(...args);
      if (IRRELEVANT.some((re) => re.test(message))) return;
      sink(kind, `simulators:opcua node-opcua ${kind}: ${message}`);
    };
  setWarningLogger(route('warning'));
  setErrorLogger(route('error'));
}

// Installed on import, before node-opcua's asynchronous start-up check can print W27.
configureNodeOpcuaLogging();
