"""lfmdoctor.patches"""
