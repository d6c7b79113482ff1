/** The bridge classifies pg failures like every other component (see `pgFailure` in core). */
export { pgFailure } from '@mister-smith/core';
