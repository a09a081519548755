import { frame, type Context, type Go } from '../../../src/sim/goroutine/index.js';
import type { Model } from '../../../src/sim/harness/model.js';
import { ConduitConnect } from '../../../src/sim/models/legacy-v1.1.4/conduit-connect.js';
import { legacyModelOf } from '../../../src/sim/models/legacy-v1.1.4/model.js';

/**
 * An older TAPA whose G-connect retries Conduit.Connect at once, without a delay, for as
 * long as NSM fails the Request: only the time the Requests themselves take moves the
 * clock.
 */
class NoDelayConduitConnect extends ConduitConnect {
  protected override *retryConnect(ctx: Context): Go<void> {
    while (ctx.err() === undefined) {
      if ((yield* frame('trench.(*conduitConnect).connect.func1', this.attempt(ctx))) === undefined) return;
    }
  }
}

export const noDelayRetryModel: Model = legacyModelOf('test:no-delay-retry', {
  conduitConnect: (p, conduit) => new NoDelayConduitConnect(p, conduit),
});
