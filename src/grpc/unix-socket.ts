import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';

/**
 * Serves `server` on a unix socket at `path`. A socket file left by a previous run (a killed
 * container restarted in the same pod keeps its emptyDir) would make the bind fail, so it goes first.
 */
export async function serveOn(server: grpc.Server, path: string): Promise<void> {
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(new Error(`cannot serve on ${path}: ${err.message}`)) : resolve(),
    ),
  );
}
