/// Where the run watches a device's packets: at the device's own codec (a simulated device, a
/// generic client, firmware behind a tap proxy or printing its own packet lines) or at the
/// hub's codec (firmware on the simulated hub). Decided once per device when it joins the run;
/// the record keeps each packet from that vantage only.
public enum Vantage: String, Sendable, Hashable {
    case device
    case hub
}
