import type { Go } from '../../../src/sim/goroutine/index.js';
import type { Model } from '../../../src/sim/harness/model.js';
import { ConduitConnect } from '../../../src/sim/models/legacy-v1.1.4/conduit-connect.js';
import { legacyModelOf } from '../../../src/sim/models/legacy-v1.1.4/model.js';

/**
 * An older TAPA whose G-connect keeps cc.ctxMu across its whole retry loop: while NSM
 * fails every Request, a disconnect (the Close of the conduit's last stream) cannot take
 * the lock to cancel the retries, so the G-close waits with tap.mu held, and every later
 * Open or Close waits behind it, until NSM recovers. v1.1.4 releases the lock first.
 */
class HeldRetryConduitConnect extends ConduitConnect {
  protected override *connect(): Go<void> {
    yield* this.ctxMu.lock();
    const ctx = this.openContext();
    yield* this.retryConnect(ctx);
    yield* this.watchIfOpen(ctx);
    this.ctxMu.unlock();
  }
}

export const heldRetryModel: Model = legacyModelOf('test:lock-held-across-retry', {
  conduitConnect: (p, conduit) => new HeldRetryConduitConnect(p, conduit),
});
