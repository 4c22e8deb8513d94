"""The sandbox's MusicBrainz genre list: a part of the real one (lower case, MusicBrainz's spellings).

It holds every genre the generated libraries use (their artists' Spotify genres and the genre tags on
Last.fm, spelled as MusicBrainz spells them: "synth-pop", "p-funk", "italo-disco") and many more, and,
like the real list, no mood, occasion or personal tag ("happy", "beautiful", "favorites", "seen live")
and no decade, instrument or language ("80s", "guitar", "spanish").
"""

GENRES = sorted({
    # rock and its kin
    "rock", "album rock", "alternative rock", "art rock", "blues rock", "classic rock", "folk rock", "garage rock",
    "glam rock", "grunge", "hard rock", "heartland rock", "indie", "indie rock", "krautrock", "pop rock",
    "post-rock", "progressive rock", "psychedelic rock", "rock and roll", "rockabilly", "shoegaze", "soft rock",
    "southern rock", "space rock", "stoner rock", "surf rock",
    # punk, new wave, goth
    "punk", "punk rock", "hardcore punk", "post-hardcore", "pop punk", "emo", "post-punk", "new wave", "synth-pop",
    "gothic rock", "darkwave", "coldwave", "minimal wave", "no wave",
    # metal
    "metal", "heavy metal", "thrash metal", "death metal", "black metal", "doom metal", "power metal",
    "progressive metal", "speed metal", "sludge metal", "nu metal", "metalcore", "glam metal", "groove metal",
    # soul, funk, disco, r&b
    "soul", "motown", "northern soul", "southern soul", "neo soul", "funk", "p-funk", "jazz-funk", "boogie",
    "disco", "post-disco", "italo-disco", "euro-disco", "nu-disco", "r&b", "contemporary r&b", "new jack swing",
    "doo-wop", "gospel", "blues", "electric blues", "delta blues", "chicago blues",
    # jazz
    "jazz", "bebop", "hard bop", "cool jazz", "modal jazz", "free jazz", "jazz fusion", "smooth jazz", "swing",
    "big band", "vocal jazz", "latin jazz", "acid jazz", "spiritual jazz",
    # hip hop
    "hip hop", "east coast hip hop", "west coast hip hop", "southern hip hop", "boom bap", "trap", "drill",
    "conscious hip hop", "gangsta rap", "jazz rap", "g-funk", "cloud rap", "grime", "abstract hip hop",
    # electronic
    "electronic", "house", "deep house", "chicago house", "acid house", "tech house", "progressive house",
    "french house", "techno", "detroit techno", "minimal techno", "dub techno", "acid techno", "trance",
    "progressive trance", "drum and bass", "liquid funk", "jungle", "breakbeat", "big beat", "dubstep",
    "uk garage", "2-step", "idm", "electro", "electroclash", "electropop", "synthwave", "downtempo", "trip hop",
    "chillwave", "vaporwave", "ambient", "dark ambient", "drone", "new age", "industrial", "ebm", "hardcore [edm]",
    "gabber", "footwork", "eurodance", "hi-nrg", "glitch",
    # pop
    "pop", "dance-pop", "art pop", "baroque pop", "bubblegum pop", "chamber pop", "dream pop", "indie pop",
    "jangle pop", "power pop", "sophisti-pop", "teen pop", "k-pop", "j-pop", "c-pop", "cantopop", "mandopop",
    "city pop", "europop", "schlager", "chanson",
    # folk, country
    "folk", "contemporary folk", "indie folk", "freak folk", "singer-songwriter", "americana", "bluegrass",
    "country", "outlaw country", "country rock", "alt-country", "honky tonk", "country pop", "bakersfield sound",
    "celtic", "anti-folk",
    # reggae, caribbean, latin, african
    "reggae", "roots reggae", "dub", "dancehall", "ska", "rocksteady", "lovers rock", "calypso", "soca",
    "latin", "reggaeton", "salsa", "cumbia", "bachata", "merengue", "bossa nova", "samba", "mpb", "tango",
    "bolero", "mambo", "son cubano", "afrobeat", "afrobeats", "highlife", "soukous", "kwaito", "amapiano",
    # classical and the rest
    "classical", "baroque", "romanticism", "modern classical", "minimalism", "opera", "choral",
    "chamber music", "soundtrack", "film score", "video game music", "musical theatre", "easy listening",
    "lounge", "exotica", "experimental", "noise", "avant-garde", "spoken word", "comedy", "children's music",
    "christmas music", "flamenco", "fado", "klezmer", "polka",
})
