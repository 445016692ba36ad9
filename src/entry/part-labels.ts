// dist/microseg.labels.js: the labels backend's client, for the script-tag build (loaded by extras-script.ts).
import { part } from '../sdk/parts/labels';
import { definePart } from './part-define';

definePart('labels', part);
