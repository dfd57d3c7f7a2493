/**
 * OPC UA endpoint URLs and how the gateway dials them: the one place of the IPv6 workaround.
 *
 * node-opcua 2.182's client gives the WHATWG URL's `hostname` to `net.createConnection`. For
 * `opc.tcp://[::1]:4840` that is `[::1]`, brackets included, which no resolver knows (ENOTFOUND);
 * the unbracketed `opc.tcp://::1:4840` a server bound to ::1 advertises does not parse at all. The
 * client takes a `transportFactory` (OPCUAClientOptions, a public option): ours opens the socket to
 * the host without brackets and otherwise does what node-opcua's ClientTCP_transport does — the
 * HEL/ACK handshake and the connection-break detection come from node-opcua's ClientTransportBase.
 * It serves every endpoint, IPv4 and host names too, so there is one dialling path to test.
 *
 * One node-opcua path ignores the factory: before a secured connect, a client without the server's
 * certificate fetches it through a temporary client of its own (`fetchServerCertificate`), which dials
 * the bracketed literal and fails. discovery.ts therefore fetches the endpoints itself through this
 * factory and hands the (verified) certificate to the client up front.
 */
import net from 'node:net';
import {
  ClientTransportBase,
  type IClientTransport,
  type IClientTransportFactory,
  type TransportSettingsOptions,
} from 'node-opcua';

export interface OpcuaEndpoint {
  /** The URL as configured, IPv6 literals bracketed: what the client sends in HEL and CreateSession. */
  url: string;
  /** What to dial: a host name or an IP literal without brackets. */
  host: string;
  port: number;
}

const DEFAULT_PORT = 4840;

/** Parses `opc.tcp://host[:port][/path]`; IPv6 literals in brackets. Throws on anything else. */
export function parseEndpoint(url: string): OpcuaEndpoint {
  let parsed: URL | undefined;
  try {
    // opc.tcp is not a WHATWG "special" scheme: the host stays as written (IPv6 literals keep their
    // brackets) and no default port is dropped.
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'opc.tcp:' || !parsed.hostname)
    throw new Error(`not an OPC UA endpoint URL: ${url} (expected opc.tcp://host:port)`);
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { url, host, port: parsed.port ? Number(parsed.port) : DEFAULT_PORT };
}

/** Every socket the factory opened and has not seen closed, so a dead link can be cut at once. */
export interface DialTransports extends IClientTransportFactory {
  /** Destroys every open socket: node-opcua sees a connection break instead of waiting for timeouts. */
  destroyAll(reason: string): void;
}

/** A transport factory for node-opcua clients that dials `endpoint.host` and `endpoint.port`. */
export function dialTransports(endpoint: OpcuaEndpoint): DialTransports {
  const sockets = new Set<net.Socket>();
  return {
    create(settings?: TransportSettingsOptions): IClientTransport {
      return new DialTransport(endpoint, sockets, settings);
    },
    destroyAll(reason: string) {
      for (const socket of sockets) socket.destroy(new Error(reason));
      sockets.clear();
    },
  };
}

class DialTransport extends ClientTransportBase {
  readonly #endpoint: OpcuaEndpoint;
  readonly #sockets: Set<net.Socket>;

  constructor(endpoint: OpcuaEndpoint, sockets: Set<net.Socket>, settings?: TransportSettingsOptions) {
    super(settings);
    this.#endpoint = endpoint;
    this.#sockets = sockets;
  }

  /** As ClientTCP_transport#connect (node-opcua 2.182), with the socket opened to the unbracketed host. */
  connect(endpointUrl: string, callback: (err?: Error) => void): void {
    this.endpointUrl = endpointUrl;
    this.serverUri = 'urn:lianwang:gateway';
    const { host, port } = this.#endpoint;
    let socket: net.Socket;
    try {
      socket = net.createConnection({ host, port, timeout: this.timeout });
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.setKeepAlive(true, this.timeout >> 1);
    socket.setTimeout(this.timeout >> 1, () => this.forceConnectionBreak());
    const onError = (err: Error) => {
      removeListeners();
      callback(err);
    };
    const onConnect = () => {
      removeListeners();
      this._perform_HEL_ACK_transaction((err) => {
        if (!err) {
          if (!this._socket) return callback(new Error('Abandoned'));
          this._install_post_connect_error_handler(endpointUrl);
          this.emit('connect');
        }
        callback(err ?? undefined);
      });
    };
    const removeListeners = () => {
      socket.removeListener('error', onError);
      socket.removeListener('connect', onConnect);
    };
    this._install_socket(socket);
    socket.once('error', onError);
    socket.once('connect', onConnect);
  }
}
