/** A finished flow with its transition label and traffic class: what classification hands to the rules and reports. */

import type { Flow } from '../flow/flow.js';
import type { TrafficClass } from './traffic-class.js';
import type { TransitionLabel } from './transition.js';

export interface ClassifiedFlow {
  flow: Flow;
  label: TransitionLabel;
  cls: TrafficClass;
}
