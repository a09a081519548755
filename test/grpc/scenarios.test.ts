import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { join } from 'node:path';
import pino from 'pino';
import { divergences, invariants, mayHold, type CallError } from '../../src/core/index.js';
import { serverStream, unary } from '../../src/grpc/calls.js';
import { loadConfig } from '../../src/grpc/config.js';
import { startSidecar, type Sidecar } from '../../src/grpc/sidecar.js';
import { Application } from '../../src/sim/world/application.js';
import { viewOf, worldViolations, type Models } from '../../src/sim/harness/checks.js';
import { applyNsmFault, initialConfiguration, reconfigured } from '../../src/sim/world/configuration.js';
import type { TapaUnderTest } from '../../src/sim/harness/model.js';
import { scenarioArb, tapaName, timeline, TRENCH, type Scenario } from '../../src/sim/harness/scenario.js';
import { startEmbedded } from '../../src/embedded/embedded.js';
import { TapService } from '../../src/wire/ambassador/v1/tap.js';
import { eventually } from './world.js';
import { scratchDir } from '../support/scratch.js';

/** A sidecar seen as a TAPA under test, so that the harness's application and checks drive it. */
function sidecarTapa(
  name: string,
  socket: string,
  sidecar: Sidecar,
  reply: (request: number, error?: CallError) => void,
): TapaUnderTest & { dispose(): void } {
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  const call =
    (method: 'open' | 'close') =>
    (request: number, stream: Parameters<TapaUnderTest['open']>[1]): void => {
      unary(client, TapService[method], stream, 10_000, (r) => (r.ok ? reply(request) : reply(request, r.error)));
    };
  const state = () => sidecar.runner.state;
  return {
    name,
    open: call('open'),
    close: call('close'),
    watch: (_watcher, filter, message) =>
      void serverStream(
        client,
        TapService.watch,
        filter ?? { name: '' },
        {},
        (r) => message(r.streamStatus),
        () => {},
      ),
    invariants: () => invariants(state()),
    divergences: (view) => divergences(state(), view),
    holds: (target) => mayHold(state(), target),
    shutdown: (done) => void sidecar.shutdown().then(() => done()),
    dispose: () => client.close(),
  };
}

const KINDS = ['open', 'close', 'openAll', 'closeAll', 'watch', 'vips', 'streamConfig', 'heal', 'down', 'drop', 'loseAddresses'] as const;

describe('harness scenarios through the real gRPC shell', function () {
  this.timeout(300_000);
  const scenarios = fc.sample(scenarioArb({ maxTapas: 2, maxSteps: 8, kinds: KINDS }), { seed: 20, numRuns: 20 });

  for (const [i, scenario] of scenarios.entries()) {
    it(`scenario ${i + 1}: ${scenario.tapas} TAPA(s), ${scenario.steps.length} steps, every call answered, converges`, async () => {
      await play(scenario);
    });
  }
});

async function play(scenario: Scenario): Promise<void> {
  const dir = scratchDir('tapa-scn-');
  const world = await startEmbedded({
    nsmSocket: join(dir, 'nsm.sock'),
    trench: TRENCH,
    conduits: initialConfiguration(scenario),
    faultyProxy: scenario.faultyProxy,
    entryTimeoutMs: 2_000,
  });
  const models: Models = { nsp: world.nsp, nsm: world.nsm, scenario };
  let config = initialConfiguration(scenario);
  const sidecars: Sidecar[] = [];
  const tapas: (TapaUnderTest & { dispose(): void })[] = [];
  const waiting = new Set<string>();
  const app: Application = new Application(
    scenario,
    tapas,
    (tapa, request) => waiting.add(`${tapa}#${request}`),
    (tapa, request) => waiting.delete(`${tapa}#${request}`),
  );
  try {
    for (let t = 0; t < scenario.tapas; t++) {
      const socket = join(dir, `tapa-${t}.sock`);
      const sidecar = await startSidecar(
        loadConfig({
          MERIDIO_NAME: tapaName(t),
          MERIDIO_SOCKET: socket,
          MERIDIO_HEALTH_SOCKET: join(dir, `health-${t}.sock`),
          MERIDIO_NSP_ADDRESS: world.nspAddress,
          MERIDIO_NSM_SOCKET: world.nsmAddress,
          MERIDIO_NSP_ENTRY_TIMEOUT: '1s',
          MERIDIO_TIMEOUT: '2s',
          MERIDIO_GRPC_MAX_BACKOFF: '200ms',
        }),
        pino({ level: 'silent' }),
      );
      sidecars.push(sidecar);
      tapas.push(
        sidecarTapa(tapaName(t), socket, sidecar, (request) => {
          waiting.delete(`${tapaName(t)}#${request}`);
          app.answered(tapaName(t));
        }),
      );
    }
    // The steps are applied back to back, in scenario order, as fast as the shell goes.
    for (const step of timeline(scenario)) {
      if (app.handles(step)) app.apply(step);
      else {
        const next = reconfigured(config, scenario, step);
        if (next) world.nsp.configure(TRENCH, (config = next));
        else applyNsmFault(world.nsm, scenario, step);
      }
      await new Promise((r) => setImmediate(r));
      const broken = [...tapas.flatMap((t) => t.invariants()), ...worldViolations(models, tapas)];
      expect(broken).to.deep.equal([]);
    }
    await eventually(() => {
      expect([...waiting], 'unanswered Tap calls').to.deep.equal([]);
      expect(app.idle).to.equal(true);
      expect(
        tapas.flatMap((t) => t.divergences(viewOf(models, t)).map((d) => `${t.name}: ${d}`)),
        'not converged',
      ).to.deep.equal([]);
      expect(app.staleWatches(models), 'stale Watch').to.deep.equal([]);
    }, 30_000);
  } finally {
    for (const t of tapas) t.dispose();
    for (const s of sidecars) await s.shutdown();
    await world.stop();
  }
}
