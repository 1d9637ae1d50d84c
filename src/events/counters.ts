/** The counter sink the event pipeline reports to; the daemon turns it into Prometheus counters. */

/** Counter sink the daemon turns into Prometheus counters; label values are bounded by the caller. */
export interface EventCounters {
  killFailure(reason: string, runtime: string, defaultRuntime: string): void;
  stopRpcFailure(rpc: 'StopContainer' | 'StopPodSandbox' | 'KillContainer' | 'KillPodSandbox', defaultRuntime: string): void;
  execPermissionDenied(defaultRuntime: string): void;
  apparmorDenial(operation: string, comm: string): void;
}
