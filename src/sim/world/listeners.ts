/**
 * Subscribers of a model. The models only say that something changed; turning that
 * into watch messages, and when they are delivered, is the world's business.
 */
export class Listeners<T> {
  private readonly list: ((value: T) => void)[] = [];

  /** Returns the unsubscribe function. */
  add(listener: (value: T) => void): () => void {
    this.list.push(listener);
    return () => {
      const i = this.list.indexOf(listener);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  emit(value: T): void {
    // A listener may unsubscribe while it is called; the others must still hear this one.
    for (const listener of [...this.list]) listener(value);
  }
}
