/** Output helpers for the CLI: Go templates for --format, docker's tables and human units. */
export { formatFloat, formatValue, goTypeName, quoteString, sprint, sprintf, sprintln } from './go-fmt';
export { displayWidth, renderTable, TabWriter, type TabWriterOptions, tabwrite } from './table';
export {
  type CompiledTemplate,
  compileTemplate,
  defaultHeader,
  type FormatTableOptions,
  formatTable,
  isTableFormat,
  prepareFormat,
  renderTemplate,
  TemplateError,
  type TemplateFunc,
  type TemplateOptions,
} from './template';
export { bytesSize, humanDuration, humanSize, InvalidSizeError, parseBytes, parseHumanSize, timeAgo } from './units';
