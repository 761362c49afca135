"""The official Azure IoT Python device SDK (azure-iot-device), unmodified, as an X.509 device of
the simulated hub: create_from_x509_certificate with a certificate and key file. Driven by the
Swift test IoTHubSDKX509Tests: it prints one event per line on stdout and reads commands on
stdin.

Usage: sdk_x509_device.py HOSTNAME DEVICE_ID CERT_PEM KEY_PEM CA_PEM

Output lines: CONNECTED, C2D <message id> <body>, CONNECT_FAILED <exception type>, ERROR <text>,
DONE. Commands: "quit".
"""
import sys
import traceback


from sdk_output import out


def main():
    try:
        from azure.iot.device import IoTHubDeviceClient, X509
    except ImportError as error:
        out("ERROR azure-iot-device is not installed in this interpreter (run .ci/run):", error)
        return 3

    hostname, device_id, cert_file, key_file, ca_path = sys.argv[1:6]
    with open(ca_path, encoding="ascii") as handle:
        ca = handle.read()
    client = IoTHubDeviceClient.create_from_x509_certificate(
        x509=X509(cert_file=cert_file, key_file=key_file),
        hostname=hostname,
        device_id=device_id,
        gateway_hostname="localhost",
        server_verification_cert=ca,
        connection_retry=False,
    )

    def on_message(message):
        body = message.data.decode("utf-8") if isinstance(message.data, bytes) else str(message.data)
        out("C2D", message.message_id, body)

    try:
        client.connect()
    except Exception as error:  # the refusal the Swift test expects, by type
        out("CONNECT_FAILED", type(error).__name__)
        client.shutdown()
        out("DONE")
        return 0
    client.on_message_received = on_message
    out("CONNECTED")
    for line in sys.stdin:
        if line.split() == ["quit"]:
            break
    client.shutdown()
    out("DONE")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # the Swift test shows this output when it fails
        out("ERROR", traceback.format_exc().replace("\n", " | "))
        sys.exit(1)
