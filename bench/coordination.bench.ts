/**
 * Lease failover time: how long after a lease holder dies another candidate
 * holds the lease (median over runs). No JavaScript peer exists (engines.md:
 * nobody publishes a leader election on NATS KV in JavaScript), so the
 * figure is quoted against its bound, ttl + the candidate's retry interval.
 *
 * - single server: the holder's connection is closed without a release (as
 *   a SIGKILLed holder looks to the server); the crash falls at a different
 *   phase of the renew interval each run;
 * - 3-node cluster: the node the holder is connected to (and only knows) is
 *   SIGKILLed, then restarted for the next run.
 *
 *   node --expose-gc --import tsx bench/coordination.bench.ts
 */
import { performance } from "node:perf_hooks";
import { leaderElection, lease, type LeaseRecord } from "../src/index.js";
import { connectNats, NatsVersionedRegister, type NatsClient } from "../src/engines/nats/index.js";
import { startNatsCluster, startNatsServer } from "../src/testing/index.js";
import { section } from "./harness.js";

const RUNS = 7;
const CLUSTER_RUNS = 3;
const RETRY = 100;

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return `median ${median.toFixed(0)} ms (min ${(sorted[0] as number).toFixed(0)}, max ${(sorted.at(-1) as number).toFixed(0)}, ${values.length} runs)`;
}

/** One failover: `holderClient` acquires, `crash()` kills it, the candidate on `candidateClient` campaigns; returns ms from crash to elected. */
async function failover(options: {
  holderClient: NatsClient;
  candidateClient: NatsClient;
  bucket: string;
  ttl: number;
  replicas: number;
  phase: number;
  crash: () => Promise<void>;
}): Promise<number> {
  const { ttl } = options;
  const holderRegister = await NatsVersionedRegister.open<LeaseRecord>({
    client: options.holderClient,
    bucket: options.bucket,
    ttl,
    replicas: options.replicas,
  });
  const candidateRegister = await NatsVersionedRegister.open<LeaseRecord>({
    client: options.candidateClient,
    bucket: options.bucket,
    ttl,
    replicas: options.replicas,
  });
  const holder = lease(holderRegister, { key: "job", holder: "holder", ttl });
  await holder.acquire();
  const candidate = leaderElection(candidateRegister, { key: "job", id: "candidate", ttl, retryEvery: RETRY });
  const elected = candidate.campaign().then(() => performance.now());
  await wait(ttl / 3 + options.phase); // past the first renew, at a varying phase of the interval
  const crashedAt = performance.now();
  await options.crash();
  const at = await elected;
  await candidate.close();
  await holder.close().catch(() => undefined);
  return at - crashedAt;
}

section("Lease failover on one nats-server (holder's connection dropped)");
{
  const server = await startNatsServer();
  const candidateClient = await connectNats(server.url);
  for (const ttl of [1_000, 3_000]) {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const holderClient = await connectNats(server.url);
      times.push(
        await failover({
          holderClient,
          candidateClient,
          bucket: `LEASE_${ttl}_${run}`,
          ttl,
          replicas: 1,
          phase: ((ttl / 3) * run) / RUNS,
          crash: () => holderClient.nc.close(),
        }),
      );
    }
    console.log(`ttl ${ttl} ms, renew ${(ttl / 3).toFixed(0)} ms, retry ${RETRY} ms: lease moved ${stats(times)}; ttl + retry = ${ttl + RETRY} ms (+ write latency, + the bucket's own Raft election when the killed node led it)`);
  }
  await candidateClient.close();
  await server.stop();
}

section("Lease failover on a 3-node JetStream cluster (R3 bucket; the holder's node SIGKILLed)");
{
  const cluster = await startNatsCluster(3);
  const candidateClient = await connectNats({ servers: [...cluster.urls], reconnectTimeWait: 100 });
  const ttl = 6_000;
  const times: number[] = [];
  for (let run = 0; run < CLUSTER_RUNS; run++) {
    const victim = run % 3;
    const holderClient = await connectNats({ servers: [cluster.urls[victim] as string], ignoreClusterUpdates: true, reconnectTimeWait: 100 });
    times.push(
      await failover({
        holderClient,
        candidateClient,
        bucket: `CLEASE_${run}`,
        ttl,
        replicas: 3,
        phase: ((ttl / 3) * run) / CLUSTER_RUNS,
        crash: async () => {
          await cluster.nodes[victim]?.kill("SIGKILL");
        },
      }),
    );
    await holderClient.close().catch(() => undefined);
    await cluster.restart(victim);
    await cluster.ready();
  }
  console.log(`ttl ${ttl} ms, renew ${ttl / 3} ms, retry ${RETRY} ms: lease moved ${stats(times)}; ttl + retry = ${ttl + RETRY} ms (+ write latency, + the bucket's own Raft election when the killed node led it)`);
  await candidateClient.close();
  await cluster.stop();
}
