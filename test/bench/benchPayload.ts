/** A state value of realistic size (~230 bytes of JSON): what an agent writes on each step. */
export function benchPayload(step: number, writer = 'bench'): { step: number; writer: string; status: string; note: string } {
  return { step, writer, status: 'working', note: `step ${step} of a long-running task; `.padEnd(180, '.') };
}
