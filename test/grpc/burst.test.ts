import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { serverStream, unary } from '../../src/grpc/calls.js';
import { RETIRE_AFTER_RESETS } from '../../src/grpc/server-options.js';
import { TapService, type Stream } from '../../src/wire/ambassador/v1/tap.js';
import { rig, stream, type Rig } from './world.js';

const OPENS = 10_000;
const ANY: Stream = { name: '', conduit: { name: '', trench: { name: '' } } };
const STREAMS = [stream('stream-a1'), stream('stream-a2'), stream('stream-b1', 'load-balancer-b1')];

describe('Tap: a burst of calls on one connection (issue 16, item 8)', function () {
  this.timeout(120_000);
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(() => r.stop());

  it(`${OPENS.toLocaleString('en')} Tap.Opens sent at once on one client connection all succeed, while Watches cancelled beside them retire the connection twice`, async () => {
    const client = new grpc.Client(`unix://${r.socket}`, grpc.credentials.createInsecure());
    const outcomes = new Map<string, number>();
    const count = (outcome: string): void => void outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const open = (i: number): Promise<void> =>
      new Promise((resolve) =>
        unary(client, TapService.open, STREAMS[i % STREAMS.length]!, 100_000, (o) => {
          count(o.ok ? 'Open OK' : `Open ${o.error.code}: ${o.error.message}`);
          resolve();
        }),
      );
    const watchAndCancel = (): Promise<void> =>
      new Promise((resolve) => {
        const watch = serverStream(
          client,
          TapService.watch,
          ANY,
          {},
          () => {
            watch.cancel();
            count('Watch OK');
            resolve();
          },
          (error) => {
            count(`Watch ${error?.code ?? 'ended'}: ${error?.message ?? 'without a status'}`);
            resolve();
          },
        );
      });
    try {
      const opens = Promise.all(Array.from({ length: OPENS }, (_, i) => open(i)));
      for (let i = 0; i < 2 * RETIRE_AFTER_RESETS; i++) await watchAndCancel();
      await opens;
    } finally {
      client.close();
    }
    expect(Object.fromEntries(outcomes)).to.deep.equal({ 'Open OK': OPENS, 'Watch OK': 2 * RETIRE_AFTER_RESETS });
  });
});
