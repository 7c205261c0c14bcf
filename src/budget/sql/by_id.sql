WHERE ba.id = ANY($1)
