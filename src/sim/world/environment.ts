import type { CallError } from '../../core/index.js';
import type {
  Connection,
  ConnectionEvent,
  MonitorScopeSelector,
  NetworkServiceRequest,
  NspFlow,
  NspStream,
  NspTarget,
} from '../../core/wire.js';
import type { Scheduler } from '../kernel/index.js';
import { applyNsmFault, reconfigured } from './configuration.js';
import { TRENCH, windowMs, type Scenario, type Step } from '../harness/scenario.js';
import { startingConfiguration, startingWorld, tapaNames, type Start } from '../harness/start.js';
import { Latency } from './latency.js';
import { Ports, type LatestStream, type Outcome, type Subscription } from './ports.js';
import { NsmModel } from './nsm.js';
import { NspModel, type ConduitConfig } from './nsp.js';

export const NSP = 'nsp';
export const NSM = 'nsm';
export const FAULT = 'fault';
const UNAVAILABLE: CallError = { code: 'UNAVAILABLE', message: 'the NSP is unreachable' };
const RESTARTED: CallError = { code: 'UNAVAILABLE', message: 'the NSP restarted' };

/**
 * The NSP and the NSM that every TAPA of a scenario shares, reachable through Ports,
 * and the faults a scenario throws at them.
 */
export class Environment {
  readonly nsp: NspModel;
  readonly nsm: NsmModel;
  readonly ports: Ports;
  private config: ConduitConfig[];
  private readonly configWatches = new Map<LatestStream, string>();
  private readonly monitors = new Map<Subscription, { ids: Set<string>; send: (e: ConnectionEvent) => void }>();
  /** The TAPAs' names, by number. */
  private readonly names: readonly string[];

  constructor(
    readonly scheduler: Scheduler,
    readonly scenario: Scenario,
    /** The run's seed: the network's latencies are drawn from it. */
    seed: number,
    /** The world begins as a recorded TAPA's state implies (harness/start.ts). */
    start?: Start,
  ) {
    this.nsp = new NspModel();
    this.nsm = new NsmModel({ faultyProxy: scenario.faultyProxy });
    this.ports = new Ports(scheduler, new Latency(scenario.latency, seed, { nsp: NSP, nsm: NSM }));
    this.names = tapaNames(scenario, start);
    this.config = startingConfiguration(scenario, start);
    this.nsp.configure(TRENCH, this.config);
    if (start) this.adopt(start);
    this.nsp.onConfigChange((trench) => {
      for (const [sub, t] of this.configWatches) if (t === trench) sub.changed();
    });
    this.nsm.onEvent((event) => {
      for (const { ids, send } of this.monitors.values()) {
        const mine = Object.entries(event.connections).filter(([id]) => ids.has(id));
        if (mine.length > 0) send({ ...event, connections: Object.fromEntries(mine) });
      }
    });
  }

  register(caller: string, label: string, target: NspTarget, done: (o: Outcome<void>) => void): void {
    this.ports.call(NSP, caller, label, () => this.armExpiry(this.nsp.register(target, this.scheduler.now)), done);
  }

  unregister(caller: string, label: string, target: NspTarget, done: (o: Outcome<void>) => void): void {
    this.ports.call(NSP, caller, label, () => this.nsp.unregister(target), done);
  }

  targets(caller: string, label: string, filter: NspTarget, done: (o: Outcome<NspTarget[]>) => void): void {
    this.ports.call(NSP, caller, label, () => this.nsp.targets(filter), done);
  }

  watchStreams(
    caller: string,
    label: string,
    trench: string,
    conduit: string,
    push: (s: NspStream[]) => void,
    end: (e: CallError) => void,
  ): Subscription {
    return this.configWatch(caller, label, trench, () => this.nsp.streams(trench, conduit), push, end);
  }

  watchFlows(
    caller: string,
    label: string,
    trench: string,
    conduit: string,
    push: (f: NspFlow[]) => void,
    end: (e: CallError) => void,
  ): Subscription {
    return this.configWatch(caller, label, trench, () => this.nsp.flows(trench, conduit), push, end);
  }

  request(caller: string, label: string, request: NetworkServiceRequest, done: (o: Outcome<Connection>) => void): void {
    this.ports.call(
      NSM,
      caller,
      label,
      () => {
        const connection = this.nsm.request(request);
        const at = this.nsm.expiresAt(connection.id);
        // Every Request re-arms: the timer of an older token finds the connection refreshed.
        if (at !== undefined) {
          this.scheduler.at(Math.max(at, this.scheduler.now), NSM, `expire ${connection.id}`, () =>
            this.nsm.expire(connection.id, this.scheduler.now),
          );
        }
        return connection;
      },
      done,
    );
  }

  close(caller: string, label: string, connection: Connection, done: (o: Outcome<void>) => void): void {
    this.ports.call(NSM, caller, label, () => this.nsm.close(connection), done);
  }

  monitor(
    caller: string,
    label: string,
    selector: MonitorScopeSelector,
    push: (e: ConnectionEvent) => void,
    end: (e: CallError) => void,
  ): Subscription {
    const stream = this.ports.ordered<ConnectionEvent>(NSM, caller, label, push, (error) => {
      this.monitors.delete(stream);
      end(error);
    });
    const ids = new Set(selector.pathSegments.map((p) => p.id));
    this.monitors.set(stream, { ids, send: (e) => stream.send(e) });
    this.ports.send(NSM, NSM, `${label} subscribe`, () => stream.send(this.nsm.snapshot(selector)));
    return {
      id: stream.id,
      server: NSM,
      cancel: () => {
        this.monitors.delete(stream);
        stream.cancel();
      },
    };
  }

  /** Applies a configuration or fault step (application steps are the TAPAs'). */
  apply(step: Step): void {
    const config = reconfigured(this.config, this.scenario, step);
    if (config) {
      this.config = config;
      return this.nsp.configure(TRENCH, config);
    }
    if (applyNsmFault(this.nsm, this.scenario, step, this.names)) return;
    switch (step.kind) {
      case 'nspRestart':
        for (const arming of this.nsp.restart(step.c % 2 === 0 ? 'reload' : 'wipe', this.scheduler.now)) this.armExpiry(arming);
        return this.ports.failAll(NSP, RESTARTED);
      case 'nspOutage':
        this.nsp.available = false;
        this.ports.failAll(NSP, UNAVAILABLE);
        this.scheduler.after(windowMs(step), FAULT, 'NSP reachable again', () => {
          this.nsp.available = true;
        });
        return;
      case 'nsmErrors': {
        const which = step.c % 2 === 0 ? 'failRequests' : 'failCloses';
        this.nsm[which] = true;
        this.scheduler.after(windowMs(step), FAULT, `NSM ${which} ends`, () => {
          this.nsm[which] = false;
        });
        return;
      }
      default:
        return; // application steps
    }
  }

  /** The targets and connections a recorded TAPA holds are there before the run begins; targets expire unless refreshed. */
  private adopt(start: Start): void {
    const world = startingWorld(start);
    for (const target of world.targets) this.armExpiry(this.nsp.register(target, this.scheduler.now));
    for (const connection of world.connections) this.nsm.adopt(connection);
  }

  private armExpiry({ key, generation }: { key: string; generation: number }): void {
    this.scheduler.after(this.nsp.entryTimeoutMs, NSP, `expire ${key} #${generation}`, () => this.nsp.expire(key, generation));
  }

  private configWatch<T>(
    caller: string,
    label: string,
    trench: string,
    read: () => T,
    push: (v: T) => void,
    end: (e: CallError) => void,
  ): Subscription {
    const stream = this.ports.latest(
      NSP,
      caller,
      label,
      () => {
        this.nsp.assertAvailable();
        return read();
      },
      push,
      (error) => {
        this.configWatches.delete(stream);
        end(error);
      },
    );
    this.configWatches.set(stream, trench);
    return {
      id: stream.id,
      server: NSP,
      cancel: () => {
        this.configWatches.delete(stream);
        stream.cancel();
      },
    };
  }
}
