/// The style rules the scenario report and the run overview share, so the two pages look
/// alike: page font and margins, the heading and its verdict badge, and tables.
enum ReportStyle {
    static let common = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330}
        h1{font-size:20px;margin:0}.sub{color:#5b6475;margin:4px 0 16px}
        .verdict{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
        .passed{background:#1f8f4e}.failed,.errored{background:#c0362c}.skipped{background:#a07a00}
        table{border-collapse:collapse;margin:12px 0 24px}td,th{padding:4px 10px;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
        """
}
