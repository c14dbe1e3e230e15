// Connecting a driver or executor to the cluster's NATS servers: authentication and the errors that say what to check.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { TransportError } from '../../ops/errors.ts';

export interface ClusterAuth {
  /** NATS server URLs, e.g. 'nats://127.0.0.1:4222'. */
  servers: string | string[];
  token?: string;
  /** Cluster name: the subject prefix `quiver.<cluster>.` (default 'default'). */
  cluster?: string;
}

/** Connects to NATS, turning failures into a TransportError that says what to check. */
export async function connectCluster(o: ClusterAuth, name: string): Promise<NatsConnection> {
  const servers = Array.isArray(o.servers) ? o.servers : [o.servers];
  try {
    return await connect({ servers, token: o.token, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  } catch (e) {
    const msg = (e as Error).message;
    const hint = /authorization/i.test(msg) ? 'the server wants a token: pass --token (or { token })' : `is a NATS server listening at ${servers.join(', ')}?`;
    throw new TransportError(`cannot connect to NATS (${msg}): ${hint}`, { cause: e });
  }
}

