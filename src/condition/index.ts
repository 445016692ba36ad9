// The condition language (MongoDB query syntax plus semantic versions): compile once, explain,
// collect the paths a condition reads. The ground floor: it imports nothing above shared/.
export { compileCondition, compileQuery, compileValueTest } from './compile';
export { ConditionError, Fanout, MAX_NESTING, MAX_REGEX_INPUT, tooDeep, deepEqual, type Condition, type Matcher, type Resolved } from './values';
export { compilePath, resolvedValues } from './paths';
export { KNOWN_OPERATORS, OPERATORS, IMPLICIT_OPERATOR, EACH_CONDITION, operatorSpec, isModifier, isElemMatchValueForm, regexOptions, type OperandKind, type OperatorSpec } from './operators';
export { TYPE_NAMES, TYPE_CODE_NUMBERS } from './operands';
export { explainCondition, type ClauseResult } from './explain';
export { collectPaths, walkOperands } from './collect';
export { compareVersions, parseVersion } from './semver';
