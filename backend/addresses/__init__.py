"""The municipality's own address list (町字): the clerk picks the area, types the block only."""
