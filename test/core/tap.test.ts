import { expect } from 'chai';
import { Driver, openStream, tapStream } from './driver.js';

describe('core: Tap API errors', () => {
  const cases: [string, Parameters<Driver['open']>[0], string][] = [
    ['no stream', undefined, 'stream cannot be nil'],
    ['nil conduit', { name: 's' }, 'conduit cannot be nil'],
    ['nil trench', { name: 's', conduit: { name: 'c' } }, 'trench cannot be nil'],
    ['empty stream name', tapStream(''), 'stream name cannot be empty'],
    ['empty conduit name', tapStream('s', ''), 'conduit name cannot be empty'],
    ['empty trench name', tapStream('s', 'c', ''), 'trench name cannot be empty'],
    ['over-long stream name', tapStream('s'.repeat(254)), 'stream name is longer than 253 characters'],
  ];
  for (const [what, msg, message] of cases) {
    it(`Open with ${what} is INVALID_ARGUMENT "${message}" and changes nothing`, () => {
      const d = new Driver();
      d.open(msg);
      expect(d.replies()).to.deep.equal([{ kind: 'reply', request: 1, error: { code: 'INVALID_ARGUMENT', message } }]);
      expect(d.last).to.have.length(1);
      expect(d.state.trenches.size).to.equal(0);
    });
    it(`Close with ${what} is INVALID_ARGUMENT "${message}"`, () => {
      const d = new Driver();
      d.close(msg);
      expect(d.replies()).to.deep.equal([{ kind: 'reply', request: 1, error: { code: 'INVALID_ARGUMENT', message } }]);
    });
  }

  it('Open in a second trench while the first has open streams is FAILED_PRECONDITION', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    d.open(tapStream('stream-b1', 'conduit-b', 'trench-b'));
    expect(d.replies()[0]?.error).to.deep.equal({ code: 'FAILED_PRECONDITION', message: 'another trench is already connected' });
    expect([...d.state.trenches.keys()]).to.deep.equal(['trench-a']);
  });

  it('a second trench is fine once every stream of the first is closed', () => {
    const d = new Driver();
    openStream(d);
    d.close(tapStream('stream-a1'));
    d.open(tapStream('stream-b1', 'conduit-b', 'trench-b'));
    expect(d.replies()[0]?.error).to.equal(undefined);
    expect([...d.state.trenches.keys()]).to.deep.equal(['trench-a', 'trench-b']);
  });

  it('Open during shutdown is UNAVAILABLE', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    d.send({ kind: 'shutdown' });
    d.open(tapStream('stream-a2'));
    expect(d.replies()[0]?.error).to.deep.equal({ code: 'UNAVAILABLE', message: 'the TAPA is shutting down' });
  });

  it('shutdown is reported complete once; a second shutdown changes nothing', () => {
    const d = new Driver();
    d.send({ kind: 'shutdown' });
    expect(d.last).to.deep.equal([{ kind: 'shutdownComplete' }]);
    d.send({ kind: 'shutdown' });
    expect(d.last).to.deep.equal([]);
  });

  it('names of exactly 253 characters are accepted', () => {
    const d = new Driver();
    d.open(tapStream('s'.repeat(253), 'c'.repeat(253), 't'.repeat(253)));
    expect(d.replies()).to.deep.equal([{ kind: 'reply', request: 1 }]);
  });

  it('Open is answered at once, before NSM or NSP did anything, and twice is once', () => {
    const d = new Driver();
    d.open(tapStream('stream-a1'));
    expect(d.replies()).to.deep.equal([{ kind: 'reply', request: 1 }]);
    const calls = d.all.length;
    d.open(tapStream('stream-a1'));
    expect(d.last).to.deep.equal([{ kind: 'reply', request: 2 }]);
    expect(d.all.length).to.equal(calls + 1);
  });

  it('Close of an unknown stream, conduit or trench is OK and does nothing', () => {
    const d = new Driver();
    d.close(tapStream('nothing'));
    expect(d.last).to.deep.equal([{ kind: 'reply', request: 1 }]);
  });
});
