"""Callback queries: the answer to an inline button press."""

from bot.testing.botapi.params import MethodTable, Params, bad_request

METHODS = MethodTable()


class CallbackMethods:
    """The Bot API methods about callback queries (inline messages live in the store)."""

    @METHODS.method("answerCallbackQuery")
    def answer_callback_query(self, p: Params) -> bool:
        if not p.get_str("callback_query_id"):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        return True
