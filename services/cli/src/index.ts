export { up } from "./commands/up.js";
export type { UpOptions } from "./commands/up.js";
