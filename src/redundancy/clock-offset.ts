/**
 * One upstream server's clock measured against the gateway's, NTP-style (pure: the caller passes
 * the times in). Each status query gives a sample: the gateway's send and receive times and the
 * server's CurrentTime in its answer. offset = serverTime − midpoint(send, receive), known to
 * within ± rtt/2. The estimate is the offset of the sample with the smallest round trip among the
 * recent ones (NTP's clock filter: a late answer is a slow network, not a clock change).
 *
 * A sample whose offset differs from the estimate by more than `stepThresholdMs` plus both
 * uncertainties is a clock step of the server (an NTP correction, a wrong clock after a reboot,
 * a VM resumed from suspend): the estimate restarts from it.
 */
export interface ClockSample {
  /** Gateway time (ms) the query was sent. */
  sentAt: number;
  /** Gateway time (ms) the answer arrived. */
  receivedAt: number;
  /** The server's CurrentTime in the answer (ms). */
  serverTime: number;
}

export interface ClockEstimate {
  /** Server clock − gateway clock (ms). */
  offsetMs: number;
  /** Round trip of the sample the estimate comes from (the offset is known to ± rtt/2). */
  rttMs: number;
}

export interface ClockStep {
  /** The change of the offset: > 0 the server's clock stepped forward, < 0 back. */
  stepMs: number;
  from: ClockEstimate;
  to: ClockEstimate;
}

/** Samples the estimate is chosen from (at the status query interval: the last few seconds). */
const FILTER_SIZE = 8;

export class ClockOffsetEstimator {
  readonly #stepThresholdMs: number;
  #samples: ClockEstimate[] = [];
  #estimate: ClockEstimate | null = null;
  /** Steps seen since the estimator was made. */
  steps = 0;

  constructor(stepThresholdMs: number) {
    this.#stepThresholdMs = stepThresholdMs;
  }

  get estimate(): ClockEstimate | null {
    return this.#estimate;
  }

  /** Add a sample; returns the step when the server's clock stepped. */
  add(sample: ClockSample): ClockStep | null {
    const rttMs = Math.max(0, sample.receivedAt - sample.sentAt);
    const measured: ClockEstimate = {
      offsetMs: sample.serverTime - (sample.sentAt + sample.receivedAt) / 2,
      rttMs,
    };
    const previous = this.#estimate;
    if (previous !== null) {
      const change = measured.offsetMs - previous.offsetMs;
      const uncertainty = (measured.rttMs + previous.rttMs) / 2;
      if (Math.abs(change) > this.#stepThresholdMs + uncertainty) {
        this.#samples = [measured];
        this.#estimate = measured;
        this.steps++;
        return { stepMs: change, from: previous, to: measured };
      }
    }
    this.#samples.push(measured);
    if (this.#samples.length > FILTER_SIZE) this.#samples.shift();
    let best = this.#samples[0]!;
    for (const s of this.#samples) if (s.rttMs <= best.rttMs) best = s;
    this.#estimate = best;
    return null;
  }
}

/**
 * The offset the ordering corrects a server's own timestamps by: the estimate when it is larger
 * than its round trip, else 0. An offset within ± rtt/2 is indistinguishable from none (on a
 * loaded machine the round trip, and with it the estimate's noise, reaches tens of ms); correcting
 * by noise would shift two servers' identical timestamps apart and deliver one sample twice.
 */
export function correctionOffset(estimate: ClockEstimate): number {
  return Math.abs(estimate.offsetMs) > estimate.rttMs ? estimate.offsetMs : 0;
}
