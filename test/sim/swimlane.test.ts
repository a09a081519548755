import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { hunt } from '../../src/sim/explore/hunt.js';
import { MODELS } from '../../src/sim/models/index.js';
import { drawTrace } from '../../src/sim/swimlane/draw.js';
import { swimlanePage } from '../../src/sim/swimlane/html.js';
import { escapeHtml } from '../../src/sim/swimlane/text.js';
import type { Failure } from '../../src/sim/harness/run.js';
import { parseTrace, type Trace } from '../../src/sim/explore/trace.js';

const KNOWN = [...MODELS.keys()];

type Drawn = ReturnType<typeof drawn>;

function drawn(trace: Trace, model = trace.model) {
  const d = drawTrace(trace, MODELS.get(model)!);
  if (!('html' in d)) throw new Error(`the run diverged: ${d.outcome.message}`);
  return d;
}

/** The goroutines a deadlock report puts in the cycle: the members listed before `parked behind it:`. */
function cycleOf(message: string): string[] {
  const report = message.split('\nparked behind it:')[0]!;
  return report.split('\n').flatMap((line) => /^ {2}(\S+)$/.exec(line)?.[1] ?? []);
}

function head(html: string, actor: string): string | undefined {
  return html.match(new RegExp(`<div class="head [^"]*"[^>]*data-lane="${escapeHtml(actor).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`))?.[0];
}

function selfContained(html: string): void {
  expect(html).not.to.match(/https?:\/\//);
  expect(html).not.to.match(/<script[^>]*\ssrc=/);
  expect(html).not.to.match(/<link\b/);
  expect(html).not.to.match(/@import|url\((?!#)/);
  // The embedded JSON cannot end its script element early.
  expect(html.match(/<script\b/g)?.length).to.equal(html.match(/<\/script>/g)?.length);
}

describe('the counterexample as a picture (swimlane page)', () => {
  describe('Meridio #578 on legacy-v1.1.4', () => {
    let trace: Trace;
    let d: Drawn;
    let failure: Failure | undefined;
    before(() => {
      trace = parseTrace(readFileSync(new URL('../traces/issue-578.json', import.meta.url), 'utf8'), KNOWN);
      d = drawn(trace);
      failure = d.outcome.kind === 'failed' ? d.outcome.failure : undefined;
    });
    const lane = (actor: string) => d.timeline.lanes.find((l) => l.id === actor);

    it('replays the recorded run exactly while recording it, and finds the deadlock', () => {
      expect(d.outcome.kind).to.equal('failed');
      expect(failure?.kind).to.equal('deadlock');
      expect(d.timeline.marks).to.have.length(trace.log.length);
    });

    it('draws every goroutine of the cycle the verdict names as a lane marked as the cycle', () => {
      const cycle = cycleOf(failure!.message);
      expect(cycle).to.have.length(3);
      for (const actor of cycle) {
        expect(lane(actor)?.role, actor).to.equal('cycle');
        expect(head(d.html, actor), actor).to.match(/class="head head-cycle /);
      }
      const cycleLanes = d.timeline.lanes.flatMap((l, i) => (l.role === 'cycle' ? [i] : []));
      const edges = d.timeline.waits.filter((w) => w.cycle);
      expect(edges.map((w) => w.lane).sort()).to.deep.equal(cycleLanes.sort());
      expect(d.html.match(/class="wait wait-cycle"/g)).to.have.length(3);
      expect(d.html).to.contain('id="verdict"');
    });

    it('shows the three parties of #578: Stream.Open, monitorConnection and Stream.Close', () => {
      const cycle = d.timeline.lanes.filter((l) => l.role === 'cycle');
      const party = (frame: string) => cycle.find((l) => l.stuck?.stack.includes(frame))?.stuck;
      expect(party('stream.(*Stream).Open')).to.deep.include({ holds: ['stream.mu'] });
      expect(party('stream.(*Stream).Open')?.waitsFor).to.deep.include({ op: 'lock', object: 'conduit.mu' });
      const monitor = party('conduit.(*streamManager).Stop');
      expect(monitor?.goroutine).to.contain('monitorConnection');
      expect(monitor?.holds).to.include('conduit.mu');
      expect(monitor?.waitsFor).to.deep.include({ op: 'wait', object: 'sm.Stop.wg' });
      expect(party('stream.(*Stream).Close')?.waitsFor).to.deep.include({ op: 'lock', object: 'stream.mu' });
      // The locks the cycle waits for are drawn as held to the end, and marked.
      expect(
        d.timeline.holds
          .filter((h) => h.cycle)
          .map((h) => h.lock)
          .sort(),
      ).to.deep.equal(['conduit.mu', 'stream.mu']);
    });

    it('says what piled up behind the cycle while the world lingered on', () => {
      const stuck = d.timeline.lanes.filter((l) => l.role === 'stuck').map((l) => l.title);
      expect(stuck).to.include.members(['configurationImpl.vipHandler', 'Tap.Close.func1', '_Tap_Open_Handler']);
    });

    it('is a self-contained page with the model, the seed and the verdict in its header', () => {
      selfContained(d.html);
      const header = d.html.slice(d.html.indexOf('<header>'), d.html.indexOf('</header>'));
      expect(header).to.contain('legacy-v1.1.4').and.to.contain('seed 3').and.to.contain('>deadlock<');
      expect(header).to.contain(escapeHtml(failure!.message.split('\n')[0]!));
    });

    it("escapes the run's text, in the diagram as in the details shown on hover", () => {
      const hostile = '<script>alert(1)</script>"\'&';
      const t = d.timeline;
      const page = swimlanePage({
        ...t,
        lanes: t.lanes.map((l) => ({ ...l, title: hostile + l.title })),
        marks: t.marks.map((m) => ({ ...m, label: hostile + m.label })),
        verdict: { ...t.verdict, message: hostile },
      });
      expect(page).not.to.contain('<script>alert');
      expect(page).to.contain(escapeHtml(hostile));
      selfContained(page);
    });

    it('is the same page, byte for byte, for the same trace', () => {
      expect(drawn(trace).html).to.equal(d.html);
    });

    it('draws the same scenario on the core, where nothing deadlocks', () => {
      const core = drawn(trace, 'core');
      expect(core.outcome.kind).to.equal('passed');
      expect(core.timeline.lanes.some((l) => l.group === 'goroutine')).to.equal(false);
      expect(core.html).to.contain('badge-passed');
      selfContained(core.html);
    });
  });

  describe('a counterexample of a broken core', () => {
    let d: Drawn;
    before(() => {
      const found = hunt({ model: MODELS.get('broken:silent-after-ip-change')!, strategy: 'random', runs: 2_000, seed: 1 });
      d = drawn(found.trace!);
    });

    it('has a lane per actor: the application, the world, the TAPA, the NSP and the NSM', () => {
      expect(d.timeline.verdict.kind).to.equal('hang');
      const lanes = d.timeline.lanes.map((l) => `${l.group}:${l.id}`);
      expect(lanes).to.include.members(['outside:app', 'outside:world', 'tapa:target-1', 'server:nsp', 'server:nsm']);
      for (const l of d.timeline.lanes) expect(head(d.html, l.id), l.id).to.be.a('string');
    });

    it('marks the external steps: Tap calls, the NSM event that moves the IPs, the monitor report, the NSP confirmations', () => {
      const kinds = new Set(d.timeline.marks.map((m) => m.kind));
      expect([...kinds]).to.include.members(['tap-call', 'nsm-event', 'monitor', 'confirmation']);
      expect(d.html).to.contain('band band-tap-call').and.to.contain('band band-nsm-event');
      expect(d.timeline.marks.filter((m) => m.actor === 'app').every((m) => m.kind === 'tap-call')).to.equal(true);
      selfContained(d.html);
    });

    it("links a step to the one that caused it (an NSP answer to the TAPA's request)", () => {
      const answer = d.timeline.marks.find((m) => m.kind === 'confirmation')!;
      const asked = d.timeline.marks[answer.cause!]!;
      expect(asked.actor).to.equal('nsp');
      expect(answer.label.startsWith(asked.label)).to.equal(true);
    });
  });
});
