"""The workspace domain, by noun: who may read what, members, channels, messages, boards, cards and topics."""
