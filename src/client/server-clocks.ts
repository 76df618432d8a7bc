import { EventEmitter } from "node:events";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { ClockOffsetEstimator, correctionOffset } from "../redundancy/clock-offset.ts";
import type { UpstreamLink } from "../upstream/link.ts";

/** A server's clock stepped: measured by the status query (README "Never older over newer"). */
export interface ClockStepEvent {
  server: string;
  index: number;
  name: string;
  /** The change of the server's clock offset (ms): > 0 forward, < 0 back. */
  stepMs: number;
  direction: "forward" | "back";
  /** The offset (server − gateway, ms) after the step. */
  offsetMs: number;
  /** How far the step is known (the threshold plus the round trips' uncertainty). */
  toleranceMs: number;
  at: Date;
}

/** One server's clock in the status: offset to the gateway's clock, steps, delivered time regressions. */
export interface ServerClockStatus {
  /** Server clock − gateway clock (ms), known to ± rttMs / 2; null until measured. */
  offsetMs: number | null;
  rttMs: number | null;
  steps: number;
  lastStep: { stepMs: number; at: string } | null;
}

/**
 * Each upstream server's clock against the gateway's, from the status query's CurrentTime
 * (see redundancy/clock-offset.ts): the offsets the item selection compares servers' timestamps
 * with, and one `step` event (and log line) per clock step.
 */
export class ServerClocks extends EventEmitter<{ step: [ClockStepEvent] }> {
  /** Per server: the offset its own timestamps are corrected by (0 until measured, 0 within the
   * estimate's uncertainty: see correctionOffset). Read on every value: a plain array. */
  readonly offsets: number[];
  readonly #estimators: ClockOffsetEstimator[];
  readonly #lastSteps: ({ stepMs: number; at: string } | null)[];

  constructor(
    links: readonly UpstreamLink[],
    options: { stepThresholdMs: number; names: readonly string[]; logger: Logger; clock: Clock },
  ) {
    super();
    this.offsets = links.map(() => 0);
    this.#estimators = links.map(() => new ClockOffsetEstimator(options.stepThresholdMs));
    this.#lastSteps = links.map(() => null);
    for (const link of links) {
      const index = link.settings.index;
      link.on("clockSample", (sample) => {
        const estimator = this.#estimators[index]!;
        const step = estimator.add(sample);
        const estimate = estimator.estimate!;
        this.offsets[index] = correctionOffset(estimate);
        if (!step) return;
        const direction = step.stepMs > 0 ? "forward" : "back";
        const at = new Date(options.clock.now());
        const stepMs = Math.round(step.stepMs);
        this.#lastSteps[index] = { stepMs, at: at.toISOString() };
        options.logger.warn(
          { server: index, url: link.settings.url, stepMs, offsetMs: Math.round(estimate.offsetMs) },
          `the server's clock stepped ${direction} by ${Math.abs(stepMs)} ms: ordering re-based`,
        );
        this.emit("step", {
          server: link.settings.url,
          index,
          name: options.names[index] ?? link.settings.url,
          stepMs,
          direction,
          offsetMs: Math.round(estimate.offsetMs),
          toleranceMs: options.stepThresholdMs + (step.from.rttMs + step.to.rttMs) / 2,
          at,
        });
      });
    }
  }

  status(index: number): ServerClockStatus {
    const estimator = this.#estimators[index]!;
    const estimate = estimator.estimate;
    return {
      offsetMs: estimate === null ? null : Math.round(estimate.offsetMs),
      rttMs: estimate === null ? null : Math.round(estimate.rttMs),
      steps: estimator.steps,
      lastStep: this.#lastSteps[index] ?? null,
    };
  }
}
