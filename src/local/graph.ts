import type { Observable, OperatorFunction } from "rxjs";
import { legoOf, type LegoDescriptor } from "../atom/lego-descriptor.js";
import { optionalGroup } from "../atom/validate.js";

/** One stage of a described pipeline: a lego, or a plain RxJS operator. */
export interface PipelineStage {
  readonly index: number;
  /** Index of the stage this one reads from (`undefined` for the source). */
  readonly after: number | undefined;
  readonly kind: string;
  readonly name?: string;
  readonly group?: string;
  /** Live counters of the stage (empty for plain operators). */
  readonly counters: Readonly<Record<string, number>>;
}

/** Options of {@link PipelineGraph} and {@link pipeline}. */
export interface PipelineGraphOptions {
  /** Title shown in the text and Mermaid views. @default "pipeline" */
  name?: string;
  /** Group label of the pipeline as a whole. */
  group?: string;
  /**
   * Side branches: `parts` read from main stage `from` (0-based), e.g. a
   * health watchdog tapping the decoded stream.
   * @default []
   */
  branches?: readonly PipelineBranch[];
}

/** A chain of parts that reads from one stage of the main line. */
export interface PipelineBranch {
  readonly from: number;
  readonly parts: readonly unknown[];
}

function stageOf(part: unknown, index: number, after: number | undefined): PipelineStage {
  const lego: LegoDescriptor | undefined = legoOf(part);
  if (lego === undefined) return { index, after, kind: "operator", counters: {} };
  const stage: { -readonly [K in keyof PipelineStage]: PipelineStage[K] } = {
    index,
    after,
    kind: lego.kind,
    counters: lego.counters,
  };
  if (lego.name !== undefined) stage.name = lego.name;
  if (lego.group !== undefined) stage.group = lego.group;
  return stage;
}

function formatCounters(counters: Readonly<Record<string, number>>): string {
  return Object.entries(counters)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
}

function mermaidLabel(stage: PipelineStage): string {
  const lines = [stage.kind];
  if (stage.name !== undefined) lines.push(stage.name);
  if (stage.group !== undefined && stage.name?.startsWith(`${stage.group}.`) !== true) lines.push(`group: ${stage.group}`);
  const counters = formatCounters(stage.counters);
  if (counters !== "") lines.push(counters);
  return lines.map((line) => line.replace(/"/g, "#quot;")).join("<br/>");
}

/**
 * The catalog's `Graph` lego, as a pipeline's self-description: the legos a
 * pipeline is made of, in order, with their names, groups and live
 * counters, rendered as text or as a Mermaid graph. It reads each part's
 * `lego` descriptor, so any pipeline built from manyfold-rx operators
 * describes itself; plain RxJS operators show as `operator`.
 *
 * @see {@link pipeline} to build and describe a pipeline in one call.
 * @lego Graph
 */
export class PipelineGraph {
  readonly name: string;
  readonly group: string | undefined;
  private readonly parts: readonly unknown[];
  private readonly branches: readonly PipelineBranch[];

  constructor(parts: readonly unknown[], options: PipelineGraphOptions = {}) {
    this.name = options.name ?? "pipeline";
    this.group = optionalGroup(options.group);
    this.parts = [...parts];
    this.branches = (options.branches ?? []).map((branch, i) => {
      if (!Number.isInteger(branch.from) || branch.from < 0 || branch.from >= parts.length) {
        throw new RangeError(`branches[${i}].from must be the index of a main stage (0–${parts.length - 1})`);
      }
      return { from: branch.from, parts: [...branch.parts] };
    });
  }

  /** The stages with their counters as they are now: the main line, then each branch. */
  stages(): PipelineStage[] {
    const stages = this.parts.map((part, i) => stageOf(part, i, i === 0 ? undefined : i - 1));
    for (const branch of this.branches) {
      branch.parts.forEach((part, i) => {
        const index = stages.length;
        stages.push(stageOf(part, index, i === 0 ? branch.from : index - 1));
      });
    }
    return stages;
  }

  /** One line per stage: kind, name/group, counters. */
  toText(): string {
    const stages = this.stages();
    const kindWidth = Math.max(...stages.map((s) => s.kind.length), 4);
    const labelWidth = Math.max(...stages.map((s) => (s.name ?? s.group ?? "-").length), 1);
    const title = this.group === undefined ? this.name : `${this.name} (group ${this.group})`;
    const lines = stages.map((s) => {
      const branch = s.after !== undefined && s.after !== s.index - 1 ? `  (reads ${s.after + 1})` : "";
      const label = (s.name ?? s.group ?? "-").padEnd(labelWidth);
      return `  ${String(s.index + 1).padStart(2)}. ${s.kind.padEnd(kindWidth)}  ${label}  ${formatCounters(s.counters)}${branch}`.trimEnd();
    });
    return [title, ...lines].join("\n");
  }

  /** A left-to-right Mermaid flowchart, one node per stage. */
  toMermaid(): string {
    const stages = this.stages();
    const lines = ["graph LR"];
    for (const stage of stages) lines.push(`  s${stage.index}["${mermaidLabel(stage)}"]`);
    for (const stage of stages) if (stage.after !== undefined) lines.push(`  s${stage.after} --> s${stage.index}`);
    return lines.join("\n");
  }
}

/** An Observable built by {@link pipeline}, carrying its own description. */
export type DescribedPipeline<T> = Observable<T> & { readonly graph: PipelineGraph };

type Op<A, B> = OperatorFunction<A, B>;

/**
 * `source.pipe(...operators)`, plus a {@link PipelineGraph} of the parts on
 * `.graph`, so the running pipeline can show its shape and counters.
 *
 * ## Example
 * ```ts
 * const readings = pipeline(fromSerialPort({ path, baudRate: 9600 }), delimited(), decodeJsonEvents());
 * console.log(readings.graph.toText());
 * ```
 */
export function pipeline<A>(source: Observable<A>, options?: PipelineGraphOptions): DescribedPipeline<A>;
export function pipeline<A, B>(source: Observable<A>, op1: Op<A, B>, options?: PipelineGraphOptions): DescribedPipeline<B>;
export function pipeline<A, B, C>(source: Observable<A>, op1: Op<A, B>, op2: Op<B, C>, options?: PipelineGraphOptions): DescribedPipeline<C>;
export function pipeline<A, B, C, D>(
  source: Observable<A>,
  op1: Op<A, B>,
  op2: Op<B, C>,
  op3: Op<C, D>,
  options?: PipelineGraphOptions,
): DescribedPipeline<D>;
export function pipeline<A, B, C, D, E>(
  source: Observable<A>,
  op1: Op<A, B>,
  op2: Op<B, C>,
  op3: Op<C, D>,
  op4: Op<D, E>,
  options?: PipelineGraphOptions,
): DescribedPipeline<E>;
export function pipeline<A, B, C, D, E, F>(
  source: Observable<A>,
  op1: Op<A, B>,
  op2: Op<B, C>,
  op3: Op<C, D>,
  op4: Op<D, E>,
  op5: Op<E, F>,
  options?: PipelineGraphOptions,
): DescribedPipeline<F>;
export function pipeline<A, B, C, D, E, F, G>(
  source: Observable<A>,
  op1: Op<A, B>,
  op2: Op<B, C>,
  op3: Op<C, D>,
  op4: Op<D, E>,
  op5: Op<E, F>,
  op6: Op<F, G>,
  options?: PipelineGraphOptions,
): DescribedPipeline<G>;
export function pipeline<A, B, C, D, E, F, G, H>(
  source: Observable<A>,
  op1: Op<A, B>,
  op2: Op<B, C>,
  op3: Op<C, D>,
  op4: Op<D, E>,
  op5: Op<E, F>,
  op6: Op<F, G>,
  op7: Op<G, H>,
  options?: PipelineGraphOptions,
): DescribedPipeline<H>;
export function pipeline<A, B, C, D, E, F, G, H, I>(
  source: Observable<A>,
  op1: Op<A, B>,
  op2: Op<B, C>,
  op3: Op<C, D>,
  op4: Op<D, E>,
  op5: Op<E, F>,
  op6: Op<F, G>,
  op7: Op<G, H>,
  op8: Op<H, I>,
  options?: PipelineGraphOptions,
): DescribedPipeline<I>;
export function pipeline(
  source: Observable<unknown>,
  ...rest: (Op<unknown, unknown> | PipelineGraphOptions)[]
): DescribedPipeline<unknown>;
export function pipeline(source: Observable<unknown>, ...rest: unknown[]): DescribedPipeline<unknown> {
  const last = rest[rest.length - 1];
  const options = typeof last === "object" && last !== null ? (rest.pop() as PipelineGraphOptions) : {};
  const operators = rest as Op<unknown, unknown>[];
  const output = operators.reduce<Observable<unknown>>((stream, operator) => operator(stream), source);
  const graph = new PipelineGraph([source, ...operators], options);
  Object.defineProperty(output, "graph", { value: graph, enumerable: false });
  return output as DescribedPipeline<unknown>;
}
