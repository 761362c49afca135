import Yams

/// Turns Yams' syntax errors into diagnostics with positions.
enum YAMLSyntax {
    static func diagnostic(_ error: YamlError, path: String) -> ScenarioDiagnostic {
        func diagnostic(_ problem: String, _ mark: Mark, _ context: YamlError.Context?, yaml: String) -> ScenarioDiagnostic {
            let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            if mark.line >= 1, mark.line <= lines.count, lines[mark.line - 1].prefix(mark.column).contains("\t") {
                return ScenarioDiagnostic(
                    location: SourceLocation(file: path, line: mark.line, column: mark.column),
                    message: "YAML does not allow tabs for indentation; indent with spaces"
                )
            }
            // libyaml names its own setting for this one; say what it means instead.
            let problem = problem.hasPrefix("Maximum nesting level reached")
                ? "the values are nested too deeply (more than libyaml's limit of levels); a scenario needs a few"
                : problem
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            if problem.contains("mapping values are not allowed") || problem.contains("did not find expected key") {
                message += "; check the indentation"
            }
            // `{ keepalive: ${KA:-30} }`: inside braces or brackets YAML reads `{` as a nested
            // mapping, so a variable there must be quoted.
            let lineText = mark.line >= 1 && mark.line <= lines.count ? lines[mark.line - 1] : ""
            let contextLine = context.map { $0.mark.line >= 1 && $0.mark.line <= lines.count ? lines[$0.mark.line - 1] : "" } ?? ""
            if (lineText + contextLine).contains("${"), context?.text.contains("flow") == true {
                message += "; a ${VAR} inside { } or [ ] must be quoted, for example keepalive: \"${KA:-30}\""
            }
            return ScenarioDiagnostic(location: SourceLocation(file: path, line: mark.line, column: mark.column), message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, let yaml), .parser(let context, let problem, let mark, let yaml),
            .composer(let context, let problem, let mark, let yaml):
            return diagnostic(problem, mark, context, yaml: yaml)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ScenarioDiagnostic(
                location: SourceLocation(file: path, line: context.mark.line, column: context.mark.column),
                message: "duplicate keys \(duplicates.joined(separator: ", ")) in one mapping"
            )
        case .reader(let problem, let offset, _, let yaml):
            var line = 1
            var column = 1
            if let offset {
                for character in yaml.prefix(offset) {
                    if character == "\n" {
                        line += 1
                        column = 1
                    } else {
                        column += 1
                    }
                }
            }
            return ScenarioDiagnostic(location: SourceLocation(file: path, line: line, column: column), message: "cannot read the text: \(problem)")
        default:
            return ScenarioDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "YAML error: \(error)")
        }
    }
}
