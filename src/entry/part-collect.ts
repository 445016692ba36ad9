// dist/microseg.collect.js: the collector's outbox, for the script-tag build (loaded by extras-script.ts).
import { part } from '../sdk/parts/collect';
import { definePart } from './part-define';

definePart('collect', part);
