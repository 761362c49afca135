"""The official Azure IoT Python device SDK (azure-iot-device), unmodified, as a device of the
simulated hub. Driven by the Swift test IoTHubSDKTests: it prints one event per line on
stdout and reads commands on stdin.

Usage: sdk_device.py CONNECTION_STRING CA_PEM_PATH SASTOKEN_TTL_SECONDS

Output lines: CONNECTED, READY, TWIN <json>, C2D <message id> <body> <custom properties json>,
METHOD <name> <payload json>, DESIRED <patch json>, STATE <connected>, ERROR <text>, DONE.
Commands: "quit".
"""
import json
import sys
import threading
import traceback


_out_lock = threading.Lock()


def out(*parts):
    # The SDK calls back on several threads; print() writes its parts and the newline
    # separately, so unlocked lines could interleave ("STATEC2D ...").
    line = ' '.join(str(part) for part in parts) + '\n'
    with _out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def main():
    try:
        from azure.iot.device import IoTHubDeviceClient, MethodResponse
    except ImportError as error:
        out("ERROR azure-iot-device is not installed in this interpreter (run .ci/run):", error)
        return 3

    connection_string, ca_path, ttl = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(ca_path, encoding="ascii") as handle:
        ca = handle.read()
    client = IoTHubDeviceClient.create_from_connection_string(
        connection_string, server_verification_cert=ca, sastoken_ttl=ttl
    )

    def on_message(message):
        body = message.data.decode("utf-8") if isinstance(message.data, bytes) else str(message.data)
        out("C2D", message.message_id, body, json.dumps(message.custom_properties, sort_keys=True))

    def on_method(request):
        out("METHOD", request.name, json.dumps(request.payload, sort_keys=True))
        client.send_method_response(MethodResponse.create_from_method_request(request, 200, {"echo": request.payload}))

    def on_desired(patch):
        out("DESIRED", json.dumps(patch, sort_keys=True))

    def on_state():
        out("STATE", client.connected)

    client.on_connection_state_change = on_state
    client.connect()
    out("CONNECTED")
    client.on_message_received = on_message
    client.on_method_request_received = on_method
    client.on_twin_desired_properties_patch_received = on_desired
    client.patch_twin_reported_properties({"led": "on", "firmware": {"version": 2}})
    out("TWIN", json.dumps(client.get_twin(), sort_keys=True))
    out("READY")
    for line in sys.stdin:
        if line.strip() == "quit":
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
