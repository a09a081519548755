export type { Task, ImmediateTask, TimerTask } from './task.js';
export { Scheduler, type SchedulerOptions, type SchedulerObserver, type LogEntry, type RunOptions, type StopReason } from './scheduler.js';
export type { Strategy } from './strategy.js';
export { createStrategy, type StrategySpec } from './strategy-spec.js';
export { FifoStrategy } from './fifo.js';
export { RandomStrategy } from './random.js';
export { PctStrategy } from './pct.js';
export { ReplayStrategy, Divergence } from './replay.js';
export { ChoicesStrategy } from './choices.js';
