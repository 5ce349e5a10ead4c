// What the API's middleware establishes for its routes: who is calling, and the capped body it read.
import type { Caller } from './authenticate.js';

export interface ApiVariables {
  caller: Caller;
  body: Uint8Array;
}
