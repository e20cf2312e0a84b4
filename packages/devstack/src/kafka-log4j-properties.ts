/**
 * Renders a log4j2 `.properties` configuration that writes the broker's INFO log to `logFile`
 * (appending, so a restart keeps the earlier lines). Without one, Kafka 4 prints nothing at all.
 */
export function renderKafkaLog4jProperties(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = FILE',
    `appender.file.fileName = ${logFile.replaceAll('\\', '/')}`,
    'appender.file.append = true',
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    // The request and state-change loggers are very chatty at INFO; Kafka's own config quiets them.
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    '',
  ].join('\n');
}
