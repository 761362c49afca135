/// What the command line adds to a scenario file: variables and target overrides.
public struct LoadOptions: Sendable, Hashable {
    public var variables: Variables
    /// `--hub`: replaces the file's hub and targets with this one hub.
    public var hubOverride: String?
    /// `--device key=value`: applied to every device after the file's values.
    public var deviceOverrides: [(key: String, value: String)]
    /// The shard this run is (`--shard i/n`): each fleet then holds only its part of the
    /// members, disjoint from every other shard's.
    public var shard: Shard?

    /// Shard `index` of `count`, 1-based.
    public struct Shard: Sendable, Hashable {
        public var index: Int
        public var count: Int

        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }
    }

    public init(variables: Variables = Variables(), hubOverride: String? = nil, deviceOverrides: [(key: String, value: String)] = []) {
        self.variables = variables
        self.hubOverride = hubOverride
        self.deviceOverrides = deviceOverrides
    }

    public static func == (lhs: LoadOptions, rhs: LoadOptions) -> Bool {
        lhs.variables == rhs.variables && lhs.hubOverride == rhs.hubOverride && lhs.shard == rhs.shard
            && lhs.deviceOverrides.map { "\($0.key)=\($0.value)" } == rhs.deviceOverrides.map { "\($0.key)=\($0.value)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(variables)
        hasher.combine(hubOverride)
        hasher.combine(shard)
        for (key, value) in deviceOverrides {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}
