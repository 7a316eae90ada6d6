"""Attribution: tags from GraphSense TagPacks, OFAC SDN lists and plain address lists."""
