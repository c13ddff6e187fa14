# A classic py-IoticAgent script in the shape of mqtt_bridge/src/mqtt.py's agent side (written
# for these tests, not copied): it reads its ini with IOT.Config (whose [mqtt] section 0.7.0
# dropped), makes the private requests the bridge makes and reads the finished RequestEvents as
# the bridge does, then lists the things of all its owner's agents. It runs as agent2, after
# share_props.py (agent1, same owner). Its imports are IoticAgent's; the test ports them.
from __future__ import print_function

import logging

from IoticAgent import IOT
from IoticAgent import Core as IoticAgentCore
from IoticAgent.Core.Const import R_FEED

logging.basicConfig(level=logging.WARNING)

CRUD = (IoticAgentCore.Const.E_CREATED, IoticAgentCore.Const.E_DUPLICATED,
        IoticAgentCore.Const.E_DELETED)
NAMES = {IoticAgentCore.Const.E_COMPLETE: 'complete', IoticAgentCore.Const.E_FAILED: 'failed',
         IoticAgentCore.Const.E_CREATED: 'created', IoticAgentCore.Const.E_DUPLICATED: 'duplicated',
         IoticAgentCore.Const.E_DELETED: 'deleted'}


def outcome(evt):
    if not evt.wait(timeout=10) or not evt.is_set():
        return 'timeout', None
    mtype = IoticAgentCore.Const.E_COMPLETE if evt.success else IoticAgentCore.Const.E_FAILED
    payload = evt.payload
    if evt.is_crud:
        for msg in evt._messages:
            if msg[IoticAgentCore.Const.M_TYPE] in CRUD:
                mtype = msg[IoticAgentCore.Const.M_TYPE]
                payload = msg[IoticAgentCore.Const.M_PAYLOAD]
                break
    return NAMES[mtype], payload


def main():
    config = IOT.Config.Config(fn='agent2.ini')
    print('mqtt port', config.get('mqtt', 'port'), 'timeout', config.get('iot', 'sync_request_timeout'))
    client = IOT.Client(config=config)
    with client:
        for _ in range(2):
            kind, payload = outcome(client._request_entity_create('bridged'))
            print('entity', kind, payload['lid'], payload['epId'], payload['id'] == client.get_thing('bridged').guid)
        kind, payload = outcome(client._request_point_create(R_FEED, 'bridged', 'temp'))
        print('point', kind, payload['entityLid'], payload['lid'])
        print('share', outcome(client._request_point_share('bridged', 'temp', {'n': 1}, None, None)))
        print('tags', outcome(client._request_entity_tag_create('bridged', ['hello'], lang='en')))
        print('tag list', outcome(client._request_entity_tag_list('bridged', None, None)))
        print('mine', sorted(client.list()))
        listed = client.list(all_my_agents=True)
        print('all', sorted((lid, entry['epId'], entry['public']) for lid, entry in listed.items()))
        kind, payload = outcome(client._request_entity_delete('bridged'))
        print('delete', kind, payload['lid'])
        kind, payload = outcome(client._request_entity_delete('bridged'))
        print('delete again', kind, payload['c'] == IoticAgentCore.Const.E_FAILED_CODE_UNKNOWN)
        print('rename', outcome(client._request_entity_rename('share_basic', 'x'))[0])


if __name__ == '__main__':
    main()
