/** One line of a JSON-lines progress stream (pull, push, build, load, import). */
export interface JSONMessage {
  status?: string;
  id?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number; start?: number; hidecounts?: boolean; units?: string };
  aux?: unknown;
  errorDetail?: { code?: number; message: string };
  /** Deprecated mirror of errorDetail.message; docker-py still reads it. */
  error?: string;
}
