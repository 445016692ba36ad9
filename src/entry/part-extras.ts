// dist/microseg.extras.js: measurement (journeys, what goes to a collector), for the script-tag build
// (loaded by extras-script.ts).
import { part } from '../sdk/parts/extras';
import { definePart } from './part-define';

definePart('extras', part);
