export { compareResults } from './compare-results.js'
export {
  countVerdicts,
  defaultGateOptions,
  gateFails,
  hasFailure,
  hasMissing,
  hasRegression,
  resolveGateOptions,
  type Comparison,
  type ComparisonRow,
  type ExpectationFailure,
  type GateOptions,
  type ResolvedGateOptions,
  type Verdict,
} from './comparison.js'
export { renderComparisonTable } from './comparison-table.js'
export { loadResults, parseResults, suiteResultsSchema } from './load-results.js'
export { metrics, type Metric, type MetricDefinition } from './metrics.js'
export { LB_ERR_INVALID_RESULTS, LB_ERR_RESULTS_UNREADABLE, ResultsError, resultsErrors, type ResultsErrorCode, type ResultsIssue } from './results-error.js'
export { renderComparisonMarkdown } from '../render/markdown-comparison.js'
export { renderSummaryMarkdown } from '../render/markdown-summary.js'
