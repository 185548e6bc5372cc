// Types of scripts/nats-cluster.mjs, for the TypeScript tests that import it.

export interface StartClusterOptions {
  /** Where the configs, logs and JetStream stores go. Default: a new temporary directory. */
  readonly dir?: string;
  /**
   * Client ports basePort.., route ports basePort+2000.., monitoring ports basePort+4000...
   * Default: free ports picked by the system.
   */
  readonly basePort?: number;
  /** Default 3. */
  readonly nodes?: number;
  /** The servers' max_payload in bytes. Default 8 MiB. */
  readonly maxPayload?: number;
}

export interface Cluster {
  /** The directory holding n<i>.conf, n<i>.log and the store n<i>/ of each node. */
  readonly dir: string;
  /** `nats://127.0.0.1:<client port>` per node, n1 first. */
  readonly urls: readonly string[];
  /** All of `urls`, comma-joined: what a client's `servers` option takes. */
  readonly url: string;
  /** `http://127.0.0.1:<monitoring port>` per node (/healthz, /jsz, /varz ...). */
  readonly monitorUrls: readonly string[];
  /** The pid of each node's server, undefined while it is not running. */
  readonly pids: readonly (number | undefined)[];
  /** Stops node `i` (0-based) with `signal` (SIGKILL after 5 s) and resolves once it has exited. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts stopped node `i` again with its config and store; resolves once it is healthy. */
  restart(i: number): Promise<void>;
  /** SIGTERM to every node (SIGKILL after 5 s), waits for their exit, removes a created dir. */
  stop(): Promise<void>;
}

/** Starts a JetStream cluster on 127.0.0.1; resolves once every node is healthy with a meta leader. */
export function startCluster(options?: StartClusterOptions): Promise<Cluster>;

/** The nats-server binary: from PATH, else /usr/sbin, /usr/local/sbin or /sbin; undefined when none. */
export function findNatsServer(): string | undefined;
