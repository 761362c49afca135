"""The official Azure IoT Python device SDK (azure-iot-device), unmodified, provisioning through
the simulated hub's Device Provisioning Service with a symmetric key
(ProvisioningDeviceClient.create_from_symmetric_key, register()), then connecting to the hub
it was assigned to with IoTHubDeviceClient.create_from_symmetric_key. Driven by the Swift test
IoTHubSDKTests+Provisioning: it prints one event per line on stdout and reads commands on stdin.

Usage: sdk_dps_device.py PROVISIONING_HOST ID_SCOPE REGISTRATION_ID SYMMETRIC_KEY CA_PEM
       sdk_dps_device.py PROVISIONING_HOST ID_SCOPE REGISTRATION_ID x509=CERT_PEM,KEY_PEM CA_PEM
(the second form attests with an X.509 certificate: create_from_x509_certificate, both clients)

Output lines: REGISTERED <status> <assigned hub> <device id>, REGISTER_FAILED <exception type>,
CONNECTED, C2D <message id> <body>, ERROR <text>, DONE. Commands: "quit".
"""
import sys
import traceback


from sdk_output import out


def main():
    try:
        from azure.iot.device import IoTHubDeviceClient, ProvisioningDeviceClient, X509
    except ImportError as error:
        out("ERROR azure-iot-device is not installed in this interpreter (run .ci/run):", error)
        return 3

    provisioning_host, id_scope, registration_id, key, ca_path = sys.argv[1:6]
    with open(ca_path, encoding="ascii") as handle:
        ca = handle.read()
    x509 = None
    if key.startswith("x509="):
        cert_file, key_file = key[len("x509="):].split(",")
        x509 = X509(cert_file=cert_file, key_file=key_file)
        provisioning = ProvisioningDeviceClient.create_from_x509_certificate(
            provisioning_host=provisioning_host,
            registration_id=registration_id,
            id_scope=id_scope,
            x509=x509,
            server_verification_cert=ca,
        )
    else:
        provisioning = ProvisioningDeviceClient.create_from_symmetric_key(
            provisioning_host=provisioning_host,
            registration_id=registration_id,
            id_scope=id_scope,
            symmetric_key=key,
            server_verification_cert=ca,
        )
    try:
        result = provisioning.register()
    except Exception as error:  # the refusal the Swift test expects, by type
        out("REGISTER_FAILED", type(error).__name__)
        out("DONE")
        return 0
    state = result.registration_state
    out("REGISTERED", result.status, state.assigned_hub if state else None, state.device_id if state else None)
    if result.status != "assigned":
        out("DONE")
        return 0

    if x509 is not None:
        client = IoTHubDeviceClient.create_from_x509_certificate(
            x509=x509,
            hostname=state.assigned_hub,
            device_id=state.device_id,
            gateway_hostname=provisioning_host,
            server_verification_cert=ca,
            connection_retry=False,
        )
    else:
        client = IoTHubDeviceClient.create_from_symmetric_key(
            symmetric_key=key,
            hostname=state.assigned_hub,
            device_id=state.device_id,
            gateway_hostname=provisioning_host,
            server_verification_cert=ca,
            connection_retry=False,
        )

    def on_message(message):
        body = message.data.decode("utf-8") if isinstance(message.data, bytes) else str(message.data)
        out("C2D", message.message_id, body)

    client.on_message_received = on_message
    client.connect()
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
