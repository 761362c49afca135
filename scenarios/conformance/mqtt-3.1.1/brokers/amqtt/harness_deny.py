"""An amqtt topic plugin that refuses subscriptions to harness/conform/denied/# and allows
everything else, so the conformance pack's subscribe-failure case has a denial to observe."""

from amqtt.contexts import Action
from amqtt.plugins.base import BaseTopicPlugin


class DenyHarnessDenied(BaseTopicPlugin):
    async def topic_filtering(self, *, session=None, topic=None, action=None):
        if action == Action.SUBSCRIBE and topic is not None:
            return not (topic == "harness/conform/denied" or topic.startswith("harness/conform/denied/"))
        return True
