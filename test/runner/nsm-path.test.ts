import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Connection } from '../../src/core/wire.js';
import { expiresInMs, restored, signed, withOwnSegment } from '../../src/runner/nsm-path.js';

function connection(path?: Connection['path']): Connection {
  return {
    id: 'pod-a-proxy.lb.trench-a.red-0',
    networkService: 'proxy.lb.trench-a.red',
    labels: {},
    networkServiceEndpointName: '',
    payload: 'ETHERNET',
    state: 'UP',
    ...(path ? { path } : {}),
  };
}

describe('runner: NSM path segments, as NSM clients place them', () => {
  it('an empty path gets our segment, at index 0, with the connection id', () => {
    const placed = withOwnSegment(connection(), 'pod-a', randomUUID);
    expect(placed.index).to.equal(0);
    expect(placed.connection.path).to.deep.equal({
      index: 0,
      pathSegments: [{ name: 'pod-a', id: 'pod-a-proxy.lb.trench-a.red-0', token: '', metrics: {} }],
    });
  });

  it('our segment current (a refresh, a recovery): kept where it is, later hops untouched', () => {
    const path = {
      index: 0,
      pathSegments: [
        { name: 'pod-a', id: 'pod-a-proxy.lb.trench-a.red-0', token: 'old', metrics: {} },
        { name: 'nsmgr', id: 'n-1', token: 't', metrics: {} },
      ],
    };
    const placed = withOwnSegment(connection(path), 'pod-a', randomUUID);
    expect(placed.index).to.equal(0);
    expect(placed.connection.path).to.deep.equal(path);
  });

  it("someone else's segment current: ours is the next, and the answer is read back at theirs", () => {
    const path = { index: 0, pathSegments: [{ name: 'other', id: 'pod-a-proxy.lb.trench-a.red-0', token: '', metrics: {} }] };
    const placed = withOwnSegment(connection(path), 'pod-a', randomUUID);
    expect(placed.connection.path!.index).to.equal(1);
    expect(placed.connection.path!.pathSegments[1]!.name).to.equal('pod-a');
    expect(placed.connection.id).to.equal(placed.connection.path!.pathSegments[1]!.id);
    expect(restored(placed.connection, placed.index).id).to.equal('pod-a-proxy.lb.trench-a.red-0');
    expect(() => withOwnSegment(connection({ index: 3, pathSegments: path.pathSegments }), 'pod-a', randomUUID)).to.throw(/beyond/);
    expect(() =>
      withOwnSegment(connection({ index: 0, pathSegments: [{ ...path.pathSegments[0]!, id: 'x' }] }), 'pod-a', randomUUID),
    ).to.throw(/is for x/);
  });

  it('the refresh clock: the earliest expiry on the path, never negative, none without expiries', () => {
    const at = (s: number): string => new Date(s * 1000).toISOString();
    const path = {
      index: 0,
      pathSegments: [
        { name: 'a', id: '1', token: '', metrics: {}, expires: at(100) },
        { name: 'b', id: '2', token: '', metrics: {}, expires: at(40) },
      ],
    };
    expect(expiresInMs(connection(path), 10_000)).to.equal(30_000);
    expect(expiresInMs(connection(path), 90_000)).to.equal(0);
    expect(expiresInMs(connection(), 0)).to.equal(undefined);
  });

  it('signing puts the token and its expiry on our segment only, and leaves the connection it was given alone', () => {
    const path = {
      index: 0,
      pathSegments: [
        { name: 'pod-a', id: 'pod-a-proxy.lb.trench-a.red-0', token: 'old', metrics: {} },
        { name: 'nsmgr', id: 'n-1', token: 't', metrics: {} },
      ],
    };
    const before = connection(path);
    const copy = structuredClone(before);
    const expires = new Date(60_000);
    const after = signed(before, { token: 'new', expires });
    expect(after.path!.pathSegments[0]).to.deep.include({ name: 'pod-a', token: 'new', expires: expires.toISOString() });
    expect(after.path!.pathSegments[1]).to.deep.equal(path.pathSegments[1]);
    expect(before).to.deep.equal(copy);
    expect(restored(connection(), 0)).to.deep.equal(connection(), 'an answer without a path is taken as it is');
  });
});
