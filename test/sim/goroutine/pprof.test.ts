import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  TRACES_SEPARATOR,
  blockedSignature,
  formatTraces,
  groupStacks,
  normalizeFrame,
  parseTraces,
} from '../../../src/sim/goroutine/index.js';

const seed = readFileSync(new URL('../../fixtures/pprof-578.txt', import.meta.url), 'utf8');

describe('sim/goroutine pprof traces', () => {
  it('parses the #578 dump out of the issue page: 41 groups, 82 goroutines', () => {
    const groups = parseTraces(seed);
    expect(groups).to.have.length(41);
    expect(groups.reduce((n, g) => n + g.count, 0)).to.equal(82);
    expect(groups[0]).to.deep.equal({
      count: 18,
      frames: ['runtime.gopark', 'runtime.selectgo', 'google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run'],
    });
    expect(groups[40]!.frames.slice(-1)).to.deep.equal(['google.golang.org/grpc.(*Server).serveStreams.func2.1']);
  });

  it('gives the blocked signature of #578 exactly', () => {
    expect(blockedSignature(parseTraces(seed))).to.deep.equal(
      new Map([
        ['conduit.(*Conduit).GetIPs', 2],
        ['conduit.(*Conduit).SetVIPs', 1],
        ['conduit.(*streamManager).RemoveStream', 1],
        ['conduit.(*streamManager).SetStreams', 1],
        ['conduit.(*streamManager).Stop', 1],
        ['stream.(*Stream).Close', 2],
        ['tap.(*Tap).Close.func1', 2],
        ['tap.(*Tap).Open', 1],
      ]),
    );
  });

  it('formats parsed groups back to the exact text of the dump', () => {
    const lines = seed.split('\n');
    const first = lines.findIndex((l) => l === TRACES_SEPARATOR);
    const last = lines.findLastIndex((l) => l === TRACES_SEPARATOR);
    expect(formatTraces(parseTraces(seed))).to.equal(`${lines.slice(first, last + 1).join('\n')}\n`);
  });

  it('normalises frames to the Go package name, without (inline)', () => {
    expect(normalizeFrame('github.com/nordix/meridio/pkg/ambassador/tap/stream.(*Stream).Close')).to.equal('stream.(*Stream).Close');
    expect(normalizeFrame('github.com/nordix/meridio/pkg/ambassador/tap.(*Tap).Close.func1')).to.equal('tap.(*Tap).Close.func1');
    expect(normalizeFrame('io.ReadFull (inline)')).to.equal('io.ReadFull');
    expect(normalizeFrame('main.main')).to.equal('main.main');
    expect(normalizeFrame('example.com/m.F[...]')).to.equal('m.F[...]');
  });

  it('groups identical stacks, by count descending then stack text', () => {
    expect(groupStacks([['b'], ['a', 'x'], ['b'], ['a']])).to.deep.equal([
      { count: 2, frames: ['b'] },
      { count: 1, frames: ['a'] },
      { count: 1, frames: ['a', 'x'] },
    ]);
  });

  it('refuses a malformed group, naming the line', () => {
    const bad = [TRACES_SEPARATOR, '         1   runtime.gopark', 'not indented', TRACES_SEPARATOR].join('\n');
    expect(() => parseTraces(bad)).to.throw(SyntaxError, /line 3/);
    expect(() => parseTraces([TRACES_SEPARATOR, 'runtime.gopark', TRACES_SEPARATOR].join('\n'))).to.throw(SyntaxError, /line 2/);
    expect(parseTraces('no dump here')).to.deep.equal([]);
  });
});
