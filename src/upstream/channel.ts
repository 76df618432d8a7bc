import type { OPCUAClient } from "node-opcua";

/**
 * node-opcua's own keep-alive manager breaks a silent channel this way (`forceConnectionBreak`), so
 * that the ordinary reconnect path runs; the property is not in its public typings.
 */
export function breakChannel(client: OPCUAClient | null): void {
  const channel = (client as unknown as { _secureChannel?: { forceConnectionBreak(): void } } | null)
    ?._secureChannel;
  channel?.forceConnectionBreak();
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
