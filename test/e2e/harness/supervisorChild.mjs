// The supervisor service as a separate process, for the chaos suite's kill -9 scenarios, with the
// built-in agent types. Configuration and signals: see supervisorProcess.mjs.
import { runSupervisorProcess } from './supervisorProcess.mjs';

await runSupervisorProcess('chaos');
